using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Benchmarks;

/// <summary>
/// What a client does with a fetched targets.json of 10,000 targets: check length + sha256 against the
/// snapshot's entry, parse strictly, canonicalise <c>signed</c> and verify the ed25519 signature.
/// </summary>
[MemoryDiagnoser]
public class TargetsVerificationBenchmark
{
    private const int TargetCount = 10_000;
    private byte[] _raw = [];
    private IReadOnlyDictionary<string, string> _rawHashes = new Dictionary<string, string>();
    private RoleKeys _role = new([], 1);
    private Dictionary<string, Key> _keys = [];

    [GlobalSetup]
    public void Setup()
    {
        using var key = KeyPair.Generate();
        var targets = new Dictionary<string, TargetFile>(TargetCount);
        for (var i = 0; i < TargetCount; i++)
        {
            var content = System.Text.Encoding.UTF8.GetBytes($"{{\"apps\":{{\"app-{i}\":{{\"uri\":\"registry.local/app@sha256:{i:x64}\"}}}}}}");
            var custom = new JsonObject
            {
                ["version"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["hardwareIds"] = new JsonArray("raspberrypi4-64"),
                ["tags"] = new JsonArray("prod"),
                ["createdAt"] = "2026-11-28T03:00:00Z",
            };
            targets[$"app-{i}"] = new TargetFile(content.Length, Hashes.Compute(content), custom);
        }
        var metadata = new TargetsMetadata { Version = 1, Expires = DateTimeOffset.UtcNow.AddDays(90), Targets = targets };
        _raw = SignedMetadata<TargetsMetadata>.Sign(metadata, [key]).ToBytes();
        _rawHashes = new Dictionary<string, string> { [Hashes.Sha256] = Hashes.Compute(_raw)[Hashes.Sha256] };
        _role = new RoleKeys([key.KeyId], 1);
        _keys = new Dictionary<string, Key> { [key.KeyId] = key.PublicKey };
        Console.WriteLine($"// targets.json with {TargetCount} targets: {_raw.Length} bytes");
    }

    [Benchmark]
    public int VerifyTargets10k()
    {
        Hashes.Verify(Role.Targets, "targets.json", _raw, _raw.Length, _rawHashes);
        var envelope = SignedMetadata<TargetsMetadata>.Parse(_raw);
        return ThresholdVerifier.Verify(Role.Targets, _role, _keys, envelope) + envelope.Signed.Targets.Count;
    }
}
