using System.Text;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Tests.Simulator;

namespace FleetOrchestrator.Tuf.Tests.Client;

/// <summary>Metadata served pretty-printed with escaped unicode verifies (signatures cover canonical JSON) and is stored byte for byte.</summary>
public sealed class NonCanonicalMetadataTests : ClientTestBase
{
    [Fact]
    public async Task Pretty_printed_escaped_metadata_verifies_and_is_stored_as_received()
    {
        Sim.AddTarget("café-1", "ok"u8.ToArray());
        Sim.Root = Sim.Root with { Version = 2 };
        Sim.ServeMetadata("2.root.json", Tamper.PrettyPrinted(Sim.PublishRoot()));
        Sim.Targets[Role.Targets] = Sim.Targets[Role.Targets] with { Version = 2 };
        Sim.ServeMetadata("2.targets.json", Tamper.PrettyPrinted(Sim.PublishTargets(Role.Targets)));
        Sim.Snapshot = Sim.Snapshot with { Version = 2 };
        Sim.ServeMetadata("2.snapshot.json", Tamper.PrettyPrinted(Sim.PublishSnapshot()));
        Sim.Timestamp = Sim.Timestamp with { Version = 2 };
        Sim.ServeMetadata("timestamp.json", Tamper.PrettyPrinted(Sim.PublishTimestamp()));
        var servedTargets = Sim.Served("/metadata/2.targets.json");
        Assert.Contains("caf\\u00E9-1", Encoding.UTF8.GetString(servedTargets), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\n  ", Encoding.UTF8.GetString(servedTargets));

        var updater = NewUpdater();
        await updater.RefreshAsync();

        Assert.Equal(Sim.Served("/metadata/2.root.json"), Stored(Role.Root));
        Assert.Equal(Sim.Served("/metadata/timestamp.json"), Stored(Role.Timestamp));
        Assert.Equal(Sim.Served("/metadata/2.snapshot.json"), Stored(Role.Snapshot));
        Assert.Equal(servedTargets, Stored(Role.Targets));
        Assert.NotNull(await updater.GetTargetInfoAsync("café-1"));
    }

    [Fact]
    public async Task Stored_non_canonical_metadata_is_reused_on_the_next_refresh()
    {
        Sim.Targets[Role.Targets] = Sim.Targets[Role.Targets] with { Version = 2 };
        Sim.ServeMetadata("2.targets.json", Tamper.PrettyPrinted(Sim.PublishTargets(Role.Targets)));
        Sim.Snapshot = Sim.Snapshot with { Version = 2 };
        Sim.ServeMetadata("2.snapshot.json", Tamper.PrettyPrinted(Sim.PublishSnapshot()));
        Sim.Timestamp = Sim.Timestamp with { Version = 2 };
        Sim.PublishTimestamp();
        await RefreshAsync();

        await RefreshAsync();

        Assert.Equal(["2.root.json", "timestamp.json"], Sim.MetadataRequests);
    }
}
