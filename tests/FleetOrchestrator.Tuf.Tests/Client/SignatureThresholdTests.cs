using System.Text.Json.Nodes;
using FleetOrchestrator.Tuf.Client;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Tests.Simulator;

namespace FleetOrchestrator.Tuf.Tests.Client;

/// <summary>Thresholds as the client applies them: each key once, unknown keyids ignored, duplicate keyids rejected, every key type.</summary>
public sealed class SignatureThresholdTests : ClientTestBase
{
    /// <summary>Root v2 trusts <paramref name="keys"/> for the timestamp with <paramref name="threshold"/>; the client learns it first.</summary>
    private async Task TrustTimestampKeysAsync(int threshold, params ISigner[] keys)
    {
        Sim.SetRoleKeys(Role.Timestamp, threshold, keys);
        Sim.RotateRoot(Sim.Signers[Role.Root]);
        Sim.Release();
        await RefreshAsync();
        Assert.Equal(2, StoredVersion(Role.Timestamp));
    }

    [Fact]
    public async Task Fewer_signatures_than_the_threshold_are_rejected()
    {
        KeyPair a = KeyPair.Generate(), b = KeyPair.Generate();
        await TrustTimestampKeysAsync(2, a, b);
        Sim.Signers[Role.Timestamp] = [a];
        Sim.Release();

        var error = await RefreshFailsAsync<TufSignatureException>();

        Assert.Contains("1 valid signature(s) of 2 needed", error.Message);
        Assert.Equal(2, StoredVersion(Role.Timestamp));
    }

    [Fact]
    public async Task Bad_signature_beside_enough_good_ones_is_accepted()
    {
        KeyPair a = KeyPair.Generate(), b = KeyPair.Generate(), c = KeyPair.Generate();
        await TrustTimestampKeysAsync(2, a, b, c);
        Sim.Release();
        Sim.ServeMetadata("timestamp.json", Tamper.FlipSignatureBit(Sim.Served("/metadata/timestamp.json"), index: 1));

        await RefreshAsync();

        Assert.Equal(3, StoredVersion(Role.Timestamp));
    }

    [Fact]
    public async Task Signatures_by_keys_the_role_does_not_list_are_ignored()
    {
        Sim.Signers[Role.Timestamp] = [KeyPair.Generate(), .. Sim.Signers[Role.Timestamp], Sim.Signers[Role.Snapshot][0]];
        Sim.Release();

        await RefreshAsync();

        Assert.Equal(2, StoredVersion(Role.Timestamp));
    }

    [Fact]
    public async Task A_keyid_signing_twice_is_rejected()
    {
        KeyPair a = KeyPair.Generate(), b = KeyPair.Generate();
        await TrustTimestampKeysAsync(2, a, b);
        Sim.Signers[Role.Timestamp] = [a];
        Sim.Release();
        Sim.ServeMetadata("timestamp.json", Tamper.EditJson(Sim.Served("/metadata/timestamp.json"), d =>
        {
            var signatures = d["signatures"]!.AsArray();
            signatures.Add(signatures[0]!.DeepClone());
        }));

        var error = await RefreshFailsAsync<TufMetadataFormatException>();

        Assert.Contains($"keyid {a.KeyId} signs more than once", error.Message);
    }

    [Fact]
    public async Task One_key_listed_under_two_keyids_counts_once()
    {
        var a = KeyPair.Generate();
        await TrustTimestampKeysAsync(1, a);
        // Root v3: the timestamp needs 2 keys, and lists the same public key under a second keyid.
        const string alias = "0000000000000000000000000000000000000000000000000000000000000000";
        Sim.Root = Sim.Root with
        {
            Keys = new Dictionary<string, Key>(Sim.Root.Keys) { [alias] = a.PublicKey },
            Roles = new Dictionary<string, RoleKeys>(Sim.Root.Roles) { [Role.Timestamp] = new RoleKeys([a.KeyId, alias], 2) },
        };
        Sim.RotateRoot(Sim.Signers[Role.Root]);
        Sim.Release();
        Sim.ServeMetadata("timestamp.json", Tamper.EditJson(Sim.Served("/metadata/timestamp.json"), d =>
        {
            var copy = d["signatures"]![0]!.DeepClone().AsObject();
            copy["keyid"] = alias;
            d["signatures"]!.AsArray().Add(copy);
        }));

        var error = await RefreshFailsAsync<TufSignatureException>();

        Assert.Contains("1 valid signature(s) of 2 needed", error.Message);
    }

    [Fact]
    public async Task A_role_listing_one_keyid_twice_makes_the_root_invalid()
    {
        var a = Sim.Signers[Role.Timestamp][0];
        Sim.Root = Sim.Root with { Roles = new Dictionary<string, RoleKeys>(Sim.Root.Roles) { [Role.Timestamp] = new RoleKeys([a.KeyId, a.KeyId], 2) } };
        Sim.RotateRoot(Sim.Signers[Role.Root]);

        var error = await RefreshFailsAsync<TufMetadataFormatException>();

        Assert.Equal(Role.Root, error.Role);
        Assert.Contains("duplicate", error.Message);
    }

    [Theory]
    [InlineData(KeyScheme.Ed25519)]
    [InlineData(KeyScheme.EcdsaP256)]
    [InlineData(KeyScheme.RsaPssSha256)]
    public async Task Each_key_type_verifies_a_good_signature_and_rejects_a_subtly_bad_one(string scheme)
    {
        await TrustTimestampKeysAsync(1, KeyPair.Generate(scheme));

        Sim.Release();
        Sim.ServeMetadata("timestamp.json", Tamper.FlipSignatureBit(Sim.Served("/metadata/timestamp.json")));
        var error = await RefreshFailsAsync<TufSignatureException>();

        Assert.Contains("1 failed to verify", error.Message);
        Assert.Equal(2, StoredVersion(Role.Timestamp));
    }

    [Fact]
    public async Task Root_keys_of_every_type_sign_a_rotation()
    {
        var keys = KeyScheme.All.Select(KeyPair.Generate).ToArray();
        var old = Sim.Signers[Role.Root].ToList();
        Sim.SetRoleKeys(Role.Root, 3, keys);
        Sim.RotateRoot(old);

        await RefreshAsync();

        Assert.Equal(Sim.PublishedRoots[1], Stored(Role.Root));
        Assert.Equal(4, JsonNode.Parse(Sim.PublishedRoots[1])!["signatures"]!.AsArray().Count);
    }
}
