using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Tests.Client;

/// <summary>The normal path of spec §5 and its exact request sequence.</summary>
public sealed class RefreshWorkflowTests : ClientTestBase
{
    [Fact]
    public async Task First_refresh_fetches_root_timestamp_snapshot_targets_in_order_and_stores_them()
    {
        await RefreshAsync();

        Assert.Equal(["2.root.json", "timestamp.json", "1.snapshot.json", "1.targets.json"], Sim.MetadataRequests);
        Assert.Equal(Sim.Served("/metadata/timestamp.json"), Stored(Role.Timestamp));
        Assert.Equal(Sim.Served("/metadata/1.snapshot.json"), Stored(Role.Snapshot));
        Assert.Equal(Sim.Served("/metadata/1.targets.json"), Stored(Role.Targets));
        Assert.Equal(Sim.PublishedRoots[0], Stored(Role.Root));
        Assert.Equal(["root.json", "snapshot.json", "targets.json", "timestamp.json"],
            Directory.GetFiles(MetadataDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Refresh_without_changes_only_asks_for_the_next_root_and_the_timestamp()
    {
        await RefreshAsync();
        await RefreshAsync();

        Assert.Equal(["2.root.json", "timestamp.json"], Sim.MetadataRequests);
    }

    [Fact]
    public async Task Refresh_after_a_release_fetches_the_new_versions()
    {
        await RefreshAsync();
        Sim.AddTarget("app-2", "v2"u8.ToArray());
        Sim.Release();

        await RefreshAsync();

        Assert.Equal(["2.root.json", "timestamp.json", "2.snapshot.json", "2.targets.json"], Sim.MetadataRequests);
        Assert.Equal(2, StoredVersion(Role.Targets));
    }

    [Fact]
    public async Task Without_consistent_snapshots_metadata_and_targets_are_fetched_by_plain_names()
    {
        Sim.Root = Sim.Root with { ConsistentSnapshot = false };
        Sim.RotateRoot([]);
        var content = "v2"u8.ToArray();
        Sim.AddTarget("apps/app-2", content);
        Sim.Release();
        var updater = NewUpdater();
        Sim.ClearRequests();

        await updater.RefreshAsync();
        var info = await updater.GetTargetInfoAsync("apps/app-2");
        await updater.DownloadTargetAsync(info!);

        Assert.Equal(["/metadata/2.root.json", "/metadata/3.root.json", "/metadata/timestamp.json", "/metadata/snapshot.json",
            "/metadata/targets.json", "/targets/apps/app-2"], Sim.Requests);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(TargetDir, "apps%2Fapp-2")));
    }
}
