using System.Text;
using FleetOrchestrator.Tuf.Client;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Tests.Simulator;

namespace FleetOrchestrator.Tuf.Tests.Client;

/// <summary>Spec §5.5: snapshot length/hashes as listed, signature, version equal to the timestamp's, no role removed or rolled back, expiry.</summary>
public sealed class SnapshotUpdateTests : ClientTestBase
{
    [Fact]
    public async Task Snapshot_longer_than_the_timestamp_says_is_rejected()
    {
        Sim.Release();
        var listed = Sim.Timestamp.SnapshotMeta.Length!.Value;
        Sim.ServeMetadata("2.snapshot.json", [.. Sim.Served("/metadata/2.snapshot.json"), .. " "u8]);

        var error = await RefreshFailsAsync<TufDownloadException>();

        Assert.Equal("size-limit", error.Check);
        Assert.Contains($"limit of {listed} bytes", error.Message);
    }

    [Fact]
    public async Task Snapshot_shorter_than_the_timestamp_says_is_rejected()
    {
        Sim.Release();
        var served = Sim.Served("/metadata/2.snapshot.json");
        Sim.ServeMetadata("2.snapshot.json", Tamper.EditJson(served, d => d["signed"]!["meta"] = new System.Text.Json.Nodes.JsonObject()));

        var error = await RefreshFailsAsync<TufLengthOrHashException>();

        Assert.Equal("length", error.Check);
        Assert.Null(Stored(Role.Snapshot));
    }

    [Fact]
    public async Task Snapshot_with_another_hash_than_the_timestamp_lists_is_rejected()
    {
        Sim.Release();
        var served = Sim.Served("/metadata/2.snapshot.json");
        // Same length, validly signed, but not the file the timestamp vouches for.
        Sim.Snapshot = Sim.Snapshot with { Expires = Sim.Snapshot.Expires.AddDays(1) };
        var other = SignedMetadata<SnapshotMetadata>.Sign(Sim.Snapshot, Sim.Signers[Role.Snapshot]).Raw;
        Assert.Equal(served.Length, other.Length);
        Sim.ServeMetadata("2.snapshot.json", other);

        var error = await RefreshFailsAsync<TufLengthOrHashException>();

        Assert.Equal("hashes", error.Check);
    }

    [Fact]
    public async Task Endless_snapshot_is_cut_off_at_the_length_the_timestamp_lists()
    {
        Sim.Release();
        Sim.OverrideMetadata("2.snapshot.json", new ServedResponse.Endless());

        var error = await RefreshFailsAsync<TufDownloadException>();

        Assert.Contains($"limit of {Sim.Timestamp.SnapshotMeta.Length} bytes", error.Message);
    }

    [Fact]
    public async Task Endless_snapshot_without_a_listed_length_is_cut_off_at_2_MB()
    {
        Sim.ListLengthAndHashes = false;
        Sim.Release();
        Sim.OverrideMetadata("2.snapshot.json", new ServedResponse.Endless());

        var error = await RefreshFailsAsync<TufDownloadException>();

        Assert.Contains($"limit of {2 * 1024 * 1024} bytes", error.Message);
    }

    [Fact]
    public async Task Snapshot_signed_by_a_key_root_does_not_trust_is_rejected()
    {
        Sim.Signers[Role.Snapshot] = [KeyPair.Generate()];
        Sim.Release();

        var error = await RefreshFailsAsync<TufSignatureException>();

        Assert.Equal(Role.Snapshot, error.Role);
        Assert.Equal(["2.root.json", "timestamp.json", "2.snapshot.json"], Sim.MetadataRequests);
    }

    [Fact]
    public async Task Snapshot_of_another_version_than_the_timestamp_names_is_rejected()
    {
        Sim.ListLengthAndHashes = false;
        Sim.Release();
        Sim.ServeMetadata("2.snapshot.json", Sim.Served("/metadata/1.snapshot.json")); // mix and match

        var error = await RefreshFailsAsync<TufVersionException>();

        Assert.Equal("snapshot version 1 != timestamp meta version 2", error.Message);
    }

    [Fact]
    public async Task Snapshot_lowering_a_targets_version_is_rejected()
    {
        Sim.Release();
        Sim.Release();
        await RefreshAsync();
        Sim.Targets[Role.Targets] = Sim.Targets[Role.Targets] with { Version = 2 }; // 2.targets.json is still served
        Sim.Snapshot = Sim.Snapshot with { Version = 4 };
        Sim.PublishSnapshot();
        Sim.Timestamp = Sim.Timestamp with { Version = 4 };
        Sim.PublishTimestamp();

        var error = await RefreshFailsAsync<TufVersionException>();

        Assert.Equal("rollback", error.Check);
        Assert.Contains("targets.json at version 2, lower than 3 in the trusted snapshot v3", error.Message);
        Assert.Equal(3, StoredVersion(Role.Snapshot));
    }

    [Fact]
    public async Task Snapshot_dropping_a_role_is_rejected()
    {
        Sim.Delegate(Role.Targets, "apps", terminating: false, ["*"]);
        Sim.PublishTargets("apps");
        Sim.Release();
        await RefreshAsync();
        Sim.Targets.Remove("apps");
        Sim.Targets[Role.Targets] = Sim.Targets[Role.Targets] with { Delegations = null };
        Sim.Release();

        var error = await RefreshFailsAsync<TufRoleMissingException>();

        Assert.Contains("no longer lists apps.json", error.Message);
    }

    [Fact]
    public async Task Expired_snapshot_is_rejected()
    {
        Sim.Snapshot = Sim.Snapshot with { Expires = DateTimeOffset.UtcNow.AddMinutes(-1) };
        Sim.Release();

        var error = await RefreshFailsAsync<TufExpiredException>();

        Assert.Equal(Role.Snapshot, error.Role);
        Assert.Null(Stored(Role.Snapshot));
    }

    [Fact]
    public async Task Expired_stored_snapshot_does_not_block_a_good_update()
    {
        var now = DateTimeOffset.UtcNow;
        Sim.Snapshot = Sim.Snapshot with { Expires = now.AddHours(1) };
        Sim.PublishSnapshot();
        Sim.PublishTimestamp();
        await RefreshAsync(new FixedClock(now));
        Sim.Snapshot = Sim.Snapshot with { Expires = RepositorySimulator.DefaultExpires };
        Sim.Release();

        await RefreshAsync(new FixedClock(now.AddHours(2)));

        Assert.Equal(2, StoredVersion(Role.Snapshot));
    }

    [Fact]
    public async Task Stored_snapshot_matching_the_timestamp_is_reused_but_a_corrupt_one_is_fetched_again()
    {
        await RefreshAsync();
        await File.WriteAllTextAsync(Path.Combine(MetadataDir, "snapshot.json"), "not json", Encoding.UTF8);

        await RefreshAsync();

        Assert.Equal(["2.root.json", "timestamp.json", "1.snapshot.json"], Sim.MetadataRequests);
        Assert.Equal(Sim.Served("/metadata/1.snapshot.json"), Stored(Role.Snapshot));
    }
}
