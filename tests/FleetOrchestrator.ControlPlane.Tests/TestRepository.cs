using System.Text.Json.Nodes;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests;

/// <summary>A freshly created TUF repository (root v1 and all keys) and helpers to make targets and check metadata.</summary>
public sealed class TestRepository
{
    public TestRepository(RepositoryOptions? options = null, TimeProvider? time = null)
    {
        var (repository, keys) = TufRepository.Create(options, time);
        Repository = repository;
        Signers = keys.Values.SelectMany(k => k).Cast<ISigner>().ToList();
        Root = repository.Root.ToBytes();
    }

    public TufRepository Repository { get; }
    public IReadOnlyList<ISigner> Signers { get; }
    public byte[] Root { get; }

    public static RecordTarget Target(string name, string content, params string[] tags) =>
        new(name, System.Text.Encoding.UTF8.GetBytes(content), new JsonObject
        {
            ["version"] = name.Split('-').Last(),
            ["hardwareIds"] = new JsonArray("generic"),
            ["tags"] = new JsonArray(tags.Select(t => (JsonNode?)t).ToArray()),
        });

    /// <summary>Verifies timestamp → snapshot → targets of a view against root v1 and returns the signed targets.</summary>
    public static TargetsMetadata VerifiedTargets(byte[] rootRaw, ViewMetadata view)
    {
        var root = SignedMetadata<RootMetadata>.Parse(rootRaw).Signed;
        var timestamp = SignedMetadata<TimestampMetadata>.Parse(view.Timestamp);
        ThresholdVerifier.Verify(Role.Timestamp, root.RoleKeysOf(Role.Timestamp), root.Keys, timestamp);
        var snapshot = SignedMetadata<SnapshotMetadata>.Parse(view.Snapshot);
        ThresholdVerifier.Verify(Role.Snapshot, root.RoleKeysOf(Role.Snapshot), root.Keys, snapshot);
        Assert.Equal(timestamp.Signed.SnapshotMeta.Version, snapshot.Signed.Version);
        Assert.Equal(Hashes.Compute(view.Snapshot)[Hashes.Sha256], timestamp.Signed.SnapshotMeta.Hashes![Hashes.Sha256]);
        var targets = SignedMetadata<TargetsMetadata>.Parse(view.Targets);
        ThresholdVerifier.Verify(Role.Targets, root.RoleKeysOf(Role.Targets), root.Keys, targets);
        Assert.Equal(snapshot.Signed.Meta["targets.json"].Version, targets.Signed.Version);
        return targets.Signed;
    }
}
