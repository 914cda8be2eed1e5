using Akka.Event;
using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Edge.Tests.Agent;

public sealed class AgentStatusWriterTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);

    private static EdgeSettings Settings(string dataDirectory) => new()
    {
        DataDirectory = dataDirectory, Gateway = new Uri("https://gateway:8443/"), DeviceName = "d1", HardwareId = "rpi4", Tag = "main",
        AppsRoot = Path.Combine(dataDirectory, "compose-apps"), StoreRoot = Path.Combine(dataDirectory, "store"),
    };

    [Fact]
    public void After_a_burst_of_changes_the_file_holds_the_latest_status()
    {
        using var directory = new TempDirectory();
        var settings = Settings(directory.Path);
        var writer = new AgentStatusWriter(settings, NoLogger.Instance);

        for (var i = 1; i <= 200; i++)
        {
            writer.StateChanged(AgentState.Empty.Apply(new CheckedIn(At.AddSeconds(i))));
            writer.PendingReportsChanged(i);
        }
        writer.CycleEnded("UpToDate: acme-1 (version 1) is installed");
        writer.AwaitWritten();

        var status = AgentStatus.Read(settings)!;
        Assert.Equal(("d1", 200, At.AddSeconds(200), "UpToDate: acme-1 (version 1) is installed"),
            (status.Device, status.PendingReports, status.LastCheckIn, status.LastResult));
        Assert.Equal([AgentStatus.FileName], Directory.GetFiles(directory.Path).Select(Path.GetFileName)); // no temporary file left
    }

    [Fact]
    public void An_update_under_way_and_the_failed_targets_are_shown()
    {
        using var directory = new TempDirectory();
        var settings = Settings(directory.Path);
        var writer = new AgentStatusWriter(settings, NoLogger.Instance);
        var target = new TargetCandidate("acme-2", 2, ["rpi4"], ["main"], new Dictionary<string, string> { ["web"] = "u2" });
        var state = AgentState.Empty.Apply(AgentState.Empty.Plan(target, null, "2-x", At)!).Apply(new UpdateFetched("2-x"));

        writer.StateChanged(state);
        writer.AwaitWritten();

        var status = AgentStatus.Read(settings)!;
        Assert.Equal("acme-2: Fetched", status.UpdateInProgress);
        Assert.Null(status.Current);
    }

    [Fact]
    public void A_status_that_cannot_be_written_does_not_stop_the_next_ones()
    {
        using var directory = new TempDirectory();
        var settings = Settings(Path.Combine(directory.Path, "not-yet"));
        var writer = new AgentStatusWriter(settings, NoLogger.Instance);

        writer.CycleEnded("Deferred: first");
        writer.AwaitWritten();
        Directory.CreateDirectory(settings.DataDirectory);
        writer.CycleEnded("Updated: second");
        writer.AwaitWritten();

        Assert.Equal("Updated: second", AgentStatus.Read(settings)!.LastResult);
    }
}
