using Akka.Persistence.Query;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Tests.Devices;
using FleetOrchestrator.TestSupport;
using static FleetOrchestrator.ControlPlane.Tests.Devices.DeviceReports;

namespace FleetOrchestrator.ControlPlane.Tests.Fleet;

/// <summary>The fleet table's SQL on both databases it runs on: a SQLite file and PostgreSQL (which must be running; see build.sh infra up).</summary>
public sealed class FleetTableTests
{
    private static EventEnvelope Envelope(long ordering, IDeviceTwinEvent e) =>
        new(Offset.Sequence(ordering), $"device-{e.DeviceId}", ordering, e, ordering, [DeviceTwinTagger.Tag]);

    private static async Task ExerciseAsync(FleetTable table)
    {
        var registered = new[] { "device-a", "device-b", "device-c" }
            .Select((id, i) => new DeviceWasRegistered(id, new DeviceRegistration("rpi4", i < 2 ? "main" : "beta", "ab", Now.AddMinutes(i), i == 0 ? "lab" : null)))
            .ToList();
        var first = registered.Select((e, i) => Envelope(i + 1, e)).ToList();
        var second = new List<EventEnvelope>
        {
            Envelope(4, new DeviceEventsWereRecorded("device-a", SuccessfulUpdate("acme-2", "e"), Now.AddMinutes(10), DeviceStatuses.Installed, "acme-2")),
            Envelope(5, new DeviceAppsStatesChanged("device-a", DeviceReports.Apps("acme-2", ("web", "stopped")), Now.AddMinutes(11), AppHealth.Unhealthy, "acme-2")),
            Envelope(6, new DeviceWasSeen("device-b", Now.AddHours(1))),
        };

        Assert.Equal(0, await table.OffsetAsync("test"));
        Assert.Equal(3, await table.ApplyAsync("test", first));
        Assert.Equal(6, await table.ApplyAsync("test", second));
        Assert.Equal(6, await table.ApplyAsync("test", second)); // a batch applied twice changes nothing

        Assert.Equal(6, await table.OffsetAsync("test"));
        Assert.Equal(new FleetRow("device-a", "rpi4", "main", "lab", "acme-2", DeviceStatuses.Installed, AppHealth.Unhealthy, Now, Now.AddMinutes(11)), await table.GetAsync("device-a"));
        Assert.Equal(Now.AddHours(1), (await table.GetAsync("device-b"))!.LastSeen);
        Assert.Null(await table.GetAsync("device-z"));
        Assert.Equal(["device-a", "device-b"], (await table.ListAsync(new FleetQuery(Tag: "main"))).Select(r => r.DeviceId));
        Assert.Equal(["device-a"], (await table.ListAsync(new FleetQuery(Tag: "main", Group: "lab", Target: "acme-2", Status: DeviceStatuses.Installed))).Select(r => r.DeviceId));
        Assert.Equal(["device-c"], (await table.ListAsync(new FleetQuery(After: "device-b"))).Select(r => r.DeviceId));
        Assert.Equal(1, await table.CountAsync(new FleetQuery(Tag: "beta")));
        Assert.Equal(new Dictionary<string, long> { [DeviceStatuses.Installed] = 1, [DeviceStatuses.Registered] = 2 }, await table.CountByStatusAsync(new FleetQuery()));
    }

    [Fact]
    public async Task Works_on_a_sqlite_file()
    {
        using var data = new TempDirectory();
        await ExerciseAsync(new FleetTable(PersistenceSettings.SqliteFile(data.Combine("journal.db"))));
    }

    [Fact]
    public async Task Works_on_postgresql()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await ExerciseAsync(new FleetTable(PersistenceSettings.Postgres(database.ConnectionString)));
        Assert.Equal(3, await database.CountRowsAsync(FleetTable.TableName));
    }
}

public sealed class DeviceTwinTaggerTests
{
    [Fact]
    public void Twin_events_are_tagged_for_the_projection_except_view_assignments_which_change_no_row()
    {
        var tagger = new DeviceTwinTagger();
        var seen = new DeviceWasSeen("d1", Now);
        Assert.Equal(new Akka.Persistence.Journal.Tagged(seen, [DeviceTwinTagger.Tag]).Tags, ((Akka.Persistence.Journal.Tagged)tagger.ToJournal(seen)).Tags);
        var assigned = new DeviceViewWasAssigned("d1", "wave-1");
        Assert.Same(assigned, tagger.ToJournal(assigned));
        var row = FleetRow.Apply(null, new DeviceWasRegistered("d1", new DeviceRegistration("rpi4", "main", "ab", Now, "lab")))!;
        Assert.Equal(row, FleetRow.Apply(row, assigned));
    }
}
