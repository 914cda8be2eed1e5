using System.Text;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Tests.MetadataTests;

public sealed class ThresholdAndHashTests : IDisposable
{
    private readonly KeyPair[] _keys = [KeyPair.Generate(), KeyPair.Generate(), KeyPair.Generate(), KeyPair.Generate(KeyScheme.EcdsaP256)];
    private readonly SnapshotMetadata _payload = new()
    {
        Version = 1, Expires = DateTimeOffset.UnixEpoch.AddYears(70), Meta = new Dictionary<string, MetaFile> { ["targets.json"] = new(1) },
    };

    private Dictionary<string, Key> Keys => _keys.ToDictionary(k => k.KeyId, k => k.PublicKey);

    private RoleKeys RoleOf(int threshold, params int[] members) => new(members.Select(i => _keys[i].KeyId).ToList(), threshold);

    public void Dispose()
    {
        foreach (var key in _keys) key.Dispose();
    }

    [Fact]
    public void Threshold_met_by_distinct_valid_keys()
    {
        var envelope = SignedMetadata<SnapshotMetadata>.Sign(_payload, [_keys[0], _keys[3]]);
        Assert.Equal(2, ThresholdVerifier.Verify(Role.Snapshot, RoleOf(2, 0, 3), Keys, envelope));
    }

    [Fact]
    public void Unknown_keys_are_ignored_and_unmet_threshold_says_how_many()
    {
        var envelope = SignedMetadata<SnapshotMetadata>.Sign(_payload, [_keys[0], _keys[1], _keys[2]]);
        var e = Assert.Throws<SignatureThresholdException>(() => ThresholdVerifier.Verify(Role.Snapshot, RoleOf(2, 0, 3), Keys, envelope));
        Assert.Equal((1, 2), (e.Valid, e.Threshold));
        Assert.Contains("snapshot: threshold: 1 valid signature(s) of 2 needed (3 signature(s) present, 0 failed to verify, 2 by keys the role does not list)", e.Message);
    }

    [Fact]
    public void Bad_signatures_beside_enough_good_ones_do_not_matter_and_do_not_count()
    {
        var good = SignedMetadata<SnapshotMetadata>.Sign(_payload, [_keys[0], _keys[1]]);
        var badSig = new Signature(_keys[2].KeyId, Convert.ToHexStringLower(_keys[2].Sign("other"u8)));
        var envelope = good.WithSignature(badSig);
        Assert.Equal(2, ThresholdVerifier.Verify(Role.Snapshot, RoleOf(2, 0, 1, 2), Keys, envelope));
        var e = Assert.Throws<SignatureThresholdException>(() => ThresholdVerifier.Verify(Role.Snapshot, RoleOf(3, 0, 1, 2), Keys, envelope));
        Assert.Contains("2 valid signature(s) of 3 needed (3 signature(s) present, 1 failed", e.Message);
    }

    [Fact]
    public void A_keyid_counts_once_even_when_listed_under_two_ids()
    {
        // Metadata may list the same public key under a second keyid: its signature attached under both
        // ids still counts once. Duplicate keyids in signatures are refused at parse time.
        var envelope = SignedMetadata<SnapshotMetadata>.Sign(_payload, [_keys[0]]);
        var keys = Keys;
        keys["alias"] = _keys[0].PublicKey;
        var twice = envelope.WithSignature(envelope.Signatures[0] with { KeyId = "alias" });
        var e = Assert.Throws<SignatureThresholdException>(() => ThresholdVerifier.Verify(Role.Snapshot, new RoleKeys([_keys[0].KeyId, "alias"], 2), keys, twice));
        Assert.Equal(1, e.Valid);

        var raw = Encoding.UTF8.GetString(envelope.ToBytes());
        var sig = envelope.Signatures[0];
        var duplicated = raw.Replace("\"signatures\":[", $"\"signatures\":[{{\"keyid\":\"{sig.KeyId}\",\"sig\":\"{sig.Sig}\"}},");
        Assert.Throws<MetadataFormatException>(() => SignedMetadata<SnapshotMetadata>.Parse(Encoding.UTF8.GetBytes(duplicated)));
    }

    [Fact]
    public void Hashes_verify_length_and_every_listed_hash()
    {
        var data = "hello tuf"u8.ToArray();
        var hashes = Hashes.Compute(data);
        Hashes.Verify("targets", "app", data, data.Length, hashes);
        Assert.Contains("app is 9 bytes, metadata says 8", Assert.Throws<HashMismatchException>(() => Hashes.Verify("targets", "app", data, 8, hashes)).Message);
        var wrong512 = new Dictionary<string, string>(hashes) { [Hashes.Sha512] = new string('0', 128) };
        Assert.Contains("app has sha512", Assert.Throws<HashMismatchException>(() => Hashes.Verify("targets", "app", data, null, wrong512)).Message);
        var unknown = new Dictionary<string, string> { ["md5"] = "00" };
        Assert.Contains("unsupported hash algorithm \"md5\"", Assert.Throws<HashMismatchException>(() => Hashes.Verify("targets", "app", data, null, unknown)).Message);
    }

    [Fact]
    public async Task Stream_verification_stops_past_the_length_and_checks_hashes()
    {
        var data = new byte[200_000];
        Random.Shared.NextBytes(data);
        var hashes = Hashes.Compute(data);
        var copied = new MemoryStream();
        await Hashes.VerifyAsync("targets", "blob", new MemoryStream(data), data.Length, hashes, (chunk, ct) => copied.WriteAsync(chunk, ct));
        Assert.Equal(data, copied.ToArray());
        await Assert.ThrowsAsync<HashMismatchException>(() => Hashes.VerifyAsync("targets", "blob", new MemoryStream(data), data.Length - 1, hashes));
        await Assert.ThrowsAsync<HashMismatchException>(() => Hashes.VerifyAsync("targets", "blob", new MemoryStream(data[..^1]), data.Length, hashes));
        data[5] ^= 1;
        await Assert.ThrowsAsync<HashMismatchException>(() => Hashes.VerifyAsync("targets", "blob", new MemoryStream(data), data.Length, hashes));
    }
}
