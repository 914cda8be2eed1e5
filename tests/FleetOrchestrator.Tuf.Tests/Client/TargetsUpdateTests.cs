using FleetOrchestrator.Tuf.Client;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Tests.Simulator;

namespace FleetOrchestrator.Tuf.Tests.Client;

/// <summary>Spec §5.6: top-level targets length/hashes as listed, signature, version equal to the snapshot's, expiry.</summary>
public sealed class TargetsUpdateTests : ClientTestBase
{
    [Fact]
    public async Task Targets_with_another_hash_than_the_snapshot_lists_is_rejected()
    {
        Sim.Release();
        var targets = Sim.Targets[Role.Targets] with { Expires = Sim.Targets[Role.Targets].Expires.AddDays(1) };
        Sim.ServeMetadata("2.targets.json", SignedMetadata<TargetsMetadata>.Sign(targets, Sim.Signers[Role.Targets]).Raw);

        var error = await RefreshFailsAsync<TufLengthOrHashException>();

        Assert.Equal(Role.Targets, error.Role);
        Assert.Equal("hashes", error.Check);
        Assert.Null(Stored(Role.Targets));
    }

    [Fact]
    public async Task Targets_signed_by_a_key_root_does_not_trust_is_rejected()
    {
        Sim.Signers[Role.Targets] = [KeyPair.Generate()];
        Sim.Release();

        var error = await RefreshFailsAsync<TufSignatureException>();

        Assert.Equal(Role.Targets, error.Role);
    }

    [Fact]
    public async Task Targets_of_another_version_than_the_snapshot_names_is_rejected()
    {
        Sim.ListLengthAndHashes = false;
        Sim.Release();
        Sim.ServeMetadata("2.targets.json", Sim.Served("/metadata/1.targets.json"));

        var error = await RefreshFailsAsync<TufVersionException>();

        Assert.Equal("targets version 1 != snapshot meta version 2", error.Message);
    }

    [Fact]
    public async Task Targets_missing_from_the_snapshot_is_rejected()
    {
        Sim.Snapshot = Sim.Snapshot with { Version = 2, Meta = new Dictionary<string, MetaFile>() };
        Sim.ServeMetadata("2.snapshot.json", SignedMetadata<SnapshotMetadata>.Sign(Sim.Snapshot, Sim.Signers[Role.Snapshot]).Raw);
        Sim.Timestamp = Sim.Timestamp with { Version = 2 };
        Sim.PublishTimestamp();

        var error = await RefreshFailsAsync<TufRoleMissingException>();

        Assert.Equal("snapshot v2 does not list targets.json", error.Message);
    }

    [Fact]
    public async Task Expired_targets_is_rejected()
    {
        Sim.Targets[Role.Targets] = Sim.Targets[Role.Targets] with { Expires = DateTimeOffset.UtcNow.AddMinutes(-1) };
        Sim.Release();

        var error = await RefreshFailsAsync<TufExpiredException>();

        Assert.Equal(Role.Targets, error.Role);
    }

    [Fact]
    public async Task Expired_stored_targets_does_not_block_a_good_update()
    {
        var now = DateTimeOffset.UtcNow;
        Sim.Targets[Role.Targets] = Sim.Targets[Role.Targets] with { Expires = now.AddHours(1) };
        Sim.Release();
        await RefreshAsync(new FixedClock(now));
        Sim.Targets[Role.Targets] = Sim.Targets[Role.Targets] with { Expires = RepositorySimulator.DefaultExpires };
        Sim.Release();

        await RefreshAsync(new FixedClock(now.AddHours(2)));

        Assert.Equal(3, StoredVersion(Role.Targets));
    }

    [Fact]
    public async Task Endless_targets_is_cut_off_at_the_listed_length()
    {
        Sim.Release();
        Sim.OverrideMetadata("2.targets.json", new ServedResponse.Endless());

        var error = await RefreshFailsAsync<TufDownloadException>();

        Assert.Contains($"limit of {Sim.Snapshot.Meta["targets.json"].Length} bytes", error.Message);
    }

    [Fact]
    public async Task Endless_targets_without_a_listed_length_is_cut_off_at_5_MB()
    {
        Sim.ListLengthAndHashes = false;
        Sim.Release();
        Sim.OverrideMetadata("2.targets.json", new ServedResponse.Endless());

        var error = await RefreshFailsAsync<TufDownloadException>();

        Assert.Contains($"limit of {5 * 1024 * 1024} bytes", error.Message);
    }
}
