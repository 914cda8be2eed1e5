using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Tests.Devices;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Fleet;

/// <summary>The fleet projection over the real SQLite journal: the table follows the twins, answers queries, and survives a restart.</summary>
public sealed class FleetProjectionTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _data = new();
    private readonly TestRepository _keys = new();

    public void Dispose() => _data.Dispose();

    private string Database => _data.Combine("journal.db");

    private Task<ControlPlaneTestHost> StartAsync() =>
        ControlPlaneTestHost.StartAsync(Database,
            TestSettings.Registry(_keys), twins: TestSettings.Twins());

    /// <summary>Polls the table (the projection is asynchronous) until <paramref name="done"/> holds.</summary>
    private static async Task UntilAsync(Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow + Wait + Wait;
        while (!await done())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the fleet table never showed {what}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task The_table_follows_the_twins_answers_filters_and_resumes_after_a_restart()
    {
        var table = new FleetTable(PersistenceSettings.SqliteFile(Database));
        await using (var host = await StartAsync())
        {
            var twins = await host.Registry.GetAsync<DeviceTwinActor>();
            await twins.Ask<DeviceRegistered>(new RegisterDevice("device-a", "rpi4", "main", "aa", "lab"), Wait);
            await twins.Ask<DeviceRegistered>(new RegisterDevice("device-b", "rpi4", "main", "bb", "field"), Wait);
            await twins.Ask<DeviceRegistered>(new RegisterDevice("device-c", "x86", "beta", "cc"), Wait);
            await twins.Ask<DeviceEventsRecorded>(new RecordDeviceEvents("device-a", DeviceReports.SuccessfulUpdate("acme-2", "e"), DateTimeOffset.UtcNow), Wait);
            await twins.Ask<DeviceReportRecorded>(new RecordAppsStates("device-a", DeviceReports.Apps("acme-2", ("web", AppStates.Unhealthy)), DateTimeOffset.UtcNow), Wait);
            await twins.Ask<DeviceEventsRecorded>(new RecordDeviceEvents("device-b",
                [DeviceReports.Event("f-1", DeviceEventTypes.DownloadStarted, "acme-2")], DateTimeOffset.UtcNow), Wait);

            await UntilAsync(async () => (await table.GetAsync("device-a"))?.AppHealth == AppHealth.Unhealthy
                                         && (await table.GetAsync("device-b"))?.Status == DeviceStatuses.Updating, "the reports of device-a and device-b");

            var a = (await table.GetAsync("device-a"))!;
            Assert.Equal(("rpi4", "main", "lab", "acme-2", DeviceStatuses.Installed), (a.HardwareId, a.Tag, a.Group, a.CurrentTarget, a.Status));
            Assert.Equal(["device-a", "device-b"], (await table.ListAsync(new FleetQuery(Tag: "main"))).Select(r => r.DeviceId));
            Assert.Equal(["device-b"], (await table.ListAsync(new FleetQuery(Group: "field"))).Select(r => r.DeviceId));
            Assert.Equal(["device-a"], (await table.ListAsync(new FleetQuery(Target: "acme-2"))).Select(r => r.DeviceId));
            Assert.Equal(["device-c"], (await table.ListAsync(new FleetQuery(Status: DeviceStatuses.Registered))).Select(r => r.DeviceId));
            Assert.Equal(["device-b", "device-c"], (await table.ListAsync(new FleetQuery(After: "device-a", Limit: 5))).Select(r => r.DeviceId));
            Assert.Equal(["device-a"], (await table.ListAsync(new FleetQuery(Limit: 1))).Select(r => r.DeviceId));
            Assert.Equal(2, await table.CountAsync(new FleetQuery(Tag: "main")));
            Assert.Equal(new Dictionary<string, long> { [DeviceStatuses.Installed] = 1, [DeviceStatuses.Updating] = 1, [DeviceStatuses.Registered] = 1 },
                await table.CountByStatusAsync(new FleetQuery()));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => table.ListAsync(new FleetQuery(Limit: FleetQuery.MaxLimit + 1)));
        }
        var offsetBefore = await table.OffsetAsync(FleetProjectionActor.ProjectionName);
        Assert.True(offsetBefore > 0);

        await using var restarted = await StartAsync();
        // Intact without any replay, then the next events continue from the stored offset.
        Assert.Equal(3, await table.CountAsync(new FleetQuery()));
        var restartedTwins = await restarted.Registry.GetAsync<DeviceTwinActor>();
        await restartedTwins.Ask<DeviceRegistered>(new RegisterDevice("device-d", "rpi4", "main", "dd"), Wait);
        await restartedTwins.Ask<DeviceEventsRecorded>(new RecordDeviceEvents("device-b",
            [DeviceReports.Event("f-2", DeviceEventTypes.DownloadCompleted, "acme-2", success: false)], DateTimeOffset.UtcNow), Wait);

        await UntilAsync(async () => (await table.GetAsync("device-b"))?.Status == DeviceStatuses.DownloadFailed && await table.CountAsync(new FleetQuery()) == 4,
            "device-d and the failed download of device-b");
        Assert.True(await table.OffsetAsync(FleetProjectionActor.ProjectionName) > offsetBefore);
        var projection = await restarted.Registry.GetAsync<FleetProjectionActor>();
        var stored = await table.OffsetAsync(FleetProjectionActor.ProjectionName);
        await UntilAsync(async () => (await projection.Ask<FleetProjectionOffset>(GetFleetProjectionOffset.Instance, Wait)).Offset == stored, $"the projection reporting offset {stored}");
    }
}
