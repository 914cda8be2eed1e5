using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Tests.Devices;
using static FleetOrchestrator.ControlPlane.Tests.Devices.DeviceReports;

namespace FleetOrchestrator.ControlPlane.Tests.Fleet;

public class FleetRowTests
{
    private static readonly DeviceWasRegistered Registered = new("device-1", new DeviceRegistration("rpi4", "main", "ab", Now, "lab"));

    [Fact]
    public void Registration_creates_the_row()
    {
        Assert.Equal(new FleetRow("device-1", "rpi4", "main", "lab", null, DeviceStatuses.Registered, AppHealth.Unknown, Now, Now), FleetRow.Apply(null, Registered));
    }

    [Fact]
    public void Reports_copy_the_status_target_and_health_the_twin_derived()
    {
        var row = FleetRow.Apply(null, Registered);
        row = FleetRow.Apply(row, new DeviceEventsWereRecorded("device-1", SuccessfulUpdate("acme-2", "e"), Now.AddMinutes(5), DeviceStatuses.Installed, "acme-2"));
        row = FleetRow.Apply(row, new DeviceAppsStatesChanged("device-1", DeviceReports.Apps("acme-2", ("web", "unhealthy")), Now.AddMinutes(6), AppHealth.Unhealthy, "acme-2"));

        Assert.Equal((DeviceStatuses.Installed, "acme-2", AppHealth.Unhealthy, Now.AddMinutes(6)), (row!.Status, row.CurrentTarget, row.AppHealth, row.LastSeen));
    }

    [Fact]
    public void Last_seen_never_moves_back_and_events_without_a_row_change_nothing()
    {
        var row = FleetRow.Apply(FleetRow.Apply(null, Registered), new DeviceWasSeen("device-1", Now.AddHours(1)));
        Assert.Equal(Now.AddHours(1), FleetRow.Apply(row, new DeviceSystemInfoChanged("device-1", Info(), Now.AddMinutes(1)))!.LastSeen);
        Assert.Null(FleetRow.Apply(null, new DeviceWasSeen("device-9", Now)));
    }
}
