using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Tuf.Repository;
using static FleetOrchestrator.ControlPlane.Tests.Devices.DeviceReports;

namespace FleetOrchestrator.ControlPlane.Tests.Devices;

public class DeviceTwinStateTests
{
    private static readonly TimeSpan Resolution = TimeSpan.FromMinutes(15);

    private static DeviceTwinState Registered(string id = "device-1")
    {
        var registered = DeviceTwinState.Empty(id).Decide(new RegisterDevice(id, "rpi4", "main", "ab", "lab", ["web"]), Now).Single;
        return DeviceTwinState.Empty(id).Apply(registered!);
    }

    private static DeviceTwinState Record(DeviceTwinState state, IReadOnlyList<DeviceEvent> events, int minute = 10)
    {
        var decision = state.Decide(new RecordDeviceEvents(state.DeviceId, events, Now.AddMinutes(minute)));
        Assert.Null(decision.Refusal);
        return decision.Single is { } recorded ? state.Apply(recorded) : state;
    }

    [Fact]
    public void First_registration_is_accepted_with_group_and_apps_and_a_second_refused()
    {
        var state = Registered();

        var again = state.Decide(new RegisterDevice("device-1", "rpi4", "main", "cd"), Now.AddMinutes(1));

        Assert.Empty(again.Events);
        Assert.Equal("a device named \"device-1\" is already registered (since 2026-11-01 12:00:00Z)", again.Refusal);
        Assert.Equal(("rpi4", "main", "ab", "lab"), (state.Registration!.HardwareId, state.Registration.Tag, state.Registration.CertificateSha256, state.Registration.Group));
        Assert.Equal(["web"], state.Registration.Apps!);
        Assert.Equal(Now, state.LastSeen);
        Assert.Equal(DeviceStatuses.Registered, state.Status());
        Assert.Equal(AppHealth.Unknown, state.AppHealthNow());
    }

    [Fact]
    public void The_served_view_is_the_production_view_of_a_registered_device()
    {
        Assert.Null(DeviceTwinState.Empty("device-1").ServedView());
        Assert.Equal(TufRepository.ProductionView, Registered().ServedView());
    }

    [Fact]
    public void A_command_for_another_device_is_refused()
    {
        Assert.Contains("reached the twin of", DeviceTwinState.Empty("device-1").Decide(new RegisterDevice("device-2", "x", "main", "ab"), Now).Refusal);
        Assert.Contains("reached the twin of", Registered().Decide(new RecordSystemInfo("device-2", Info(), Now)).Refusal);
    }

    [Fact]
    public void Check_ins_persist_only_once_per_resolution_and_last_seen_never_moves_back()
    {
        var state = Registered(); // registration counts as a persisted contact at Now

        var (soon, none) = state.Seen(Now.AddMinutes(5), Resolution);
        var (back, stillNone) = soon.Seen(Now.AddMinutes(1), Resolution);
        var (later, wasSeen) = back.Seen(Now.AddMinutes(15), Resolution);

        Assert.Null(none);
        Assert.Null(stillNone);
        Assert.Equal(Now.AddMinutes(5), back.LastSeen);
        Assert.Equal(new DeviceWasSeen("device-1", Now.AddMinutes(15)), wasSeen);
        Assert.Equal(Now.AddMinutes(15), later.Apply(wasSeen!).SeenPersistedAt);
    }

    [Fact]
    public void Unregistered_devices_record_nothing()
    {
        var empty = DeviceTwinState.Empty("device-1");

        Assert.Null(empty.Seen(Now, Resolution).Event);
        Assert.Equal("device \"device-1\" is not registered", empty.Decide(new RecordDeviceEvents("device-1", SuccessfulUpdate("acme-2", "e"), Now)).Refusal);
        Assert.Equal("device \"device-1\" is not registered", empty.Decide(new RecordAppsStates("device-1", Apps("acme-2"), Now)).Refusal);
    }

    [Fact]
    public void A_successful_update_folds_into_one_attempt_and_sets_the_current_target()
    {
        var events = SuccessfulUpdate("acme-2", "e");
        var state = Record(Registered(), events.Take(3).ToList());
        Assert.Equal(DeviceStatuses.Updating, state.Status());
        Assert.Null(state.CurrentTarget);

        var command = new RecordDeviceEvents("device-1", events.Skip(3).ToList(), Now.AddMinutes(20));
        var decision = state.Decide(command);
        var recorded = decision.Single;
        state = state.Apply(recorded!);

        Assert.Equal(0, DeviceEventsRecorded.Of(command, decision).Duplicates);
        Assert.Equal((DeviceStatuses.Installed, "acme-2"), (recorded!.Status, recorded.CurrentTarget));
        Assert.Equal(DeviceStatuses.Installed, state.Status());
        Assert.Equal("acme-2", state.CurrentTarget);
        var attempt = Assert.Single(state.Installs);
        Assert.Equal((Correlation("2"), "acme-2", "2", DeviceEventTypes.InstallationCompleted, (bool?)true), (attempt.CorrelationId, attempt.TargetName, attempt.Version, attempt.LastEventType, attempt.Success));
        Assert.Equal((Now, Now.AddMinutes(4)), (attempt.StartedAt, attempt.UpdatedAt));
        Assert.Equal(["e-1", "e-2", "e-3", "e-4", "e-5"], attempt.EventIds);
        Assert.Equal(Now.AddMinutes(20), state.LastSeen);
    }

    [Fact]
    public void Resent_events_are_ignored_and_only_new_ones_are_persisted()
    {
        var events = SuccessfulUpdate("acme-2", "e");
        var state = Record(Registered(), events.Take(2).ToList());

        var resent = new RecordDeviceEvents("device-1", events.Take(2).ToList(), Now.AddMinutes(11));
        var mixed = new RecordDeviceEvents("device-1", [events[1], events[2], events[2]], Now.AddMinutes(12));
        var (none, recorded) = (state.Decide(resent), state.Decide(mixed));

        Assert.Null(none.Single);
        Assert.Equal(new DeviceEventsRecorded("device-1", 0, 2), DeviceEventsRecorded.Of(resent, none));
        Assert.Equal(["e-3"], recorded.Single!.Events.Select(e => e.Id));
        Assert.Equal(new DeviceEventsRecorded("device-1", 1, 2), DeviceEventsRecorded.Of(mixed, recorded));
    }

    [Fact]
    public void Failed_download_and_failed_installation_keep_the_current_target()
    {
        var state = Record(Registered(), SuccessfulUpdate("acme-2", "a"));

        state = Record(state, [Event("b-1", DeviceEventTypes.DownloadStarted, "acme-3"), Event("b-2", DeviceEventTypes.DownloadCompleted, "acme-3", success: false, details: "registry unreachable")]);
        Assert.Equal((DeviceStatuses.DownloadFailed, "acme-2"), (state.Status(), state.CurrentTarget));

        state = Record(state, [Event("c-1", DeviceEventTypes.InstallationStarted, "acme-3", attempt: 2), Event("c-2", DeviceEventTypes.InstallationCompleted, "acme-3", success: false, details: "app web failed to start", attempt: 2)]);
        Assert.Equal((DeviceStatuses.InstallFailed, "acme-2"), (state.Status(), state.CurrentTarget));
        Assert.Equal("app web failed to start", state.Installs[^1].Details);
        Assert.Equal(3, state.Installs.Count);
    }

    [Fact]
    public void An_earlier_event_arriving_late_does_not_move_an_attempt_back()
    {
        var events = SuccessfulUpdate("acme-2", "e");
        var state = Record(Registered(), [events[4]]);
        state = Record(state, [events[0]]);

        Assert.Equal(DeviceEventTypes.InstallationCompleted, state.Installs[0].LastEventType);
        Assert.Equal(Now, state.Installs[0].StartedAt);
        Assert.Equal(DeviceStatuses.Installed, state.Status());
    }

    [Fact]
    public void Unknown_event_types_are_refused()
    {
        var bad = Event("x-1", "EcuExploded", "acme-2");
        Assert.Equal("event x-1 has the unknown type \"EcuExploded\"", Registered().Decide(new RecordDeviceEvents("device-1", [bad], Now)).Refusal);
    }

    [Fact]
    public void Install_history_keeps_the_most_recent_attempts()
    {
        var state = Registered();
        for (var i = 1; i <= DeviceTwinState.MaxInstallHistory + 3; i++)
            state = Record(state, [Event($"e-{i}", DeviceEventTypes.DownloadStarted, $"acme-{i}")]);

        Assert.Equal(DeviceTwinState.MaxInstallHistory, state.Installs.Count);
        Assert.Equal("acme-4", state.Installs[0].TargetName);
        // An id of an attempt that left the history is no longer recognised: resends come soon after the original.
        Assert.NotNull(state.Decide(new RecordDeviceEvents("device-1", [Event("e-1", DeviceEventTypes.DownloadStarted, "acme-1")], Now)).Single);
    }

    [Fact]
    public void App_states_are_persisted_only_when_they_change()
    {
        var state = Registered();
        var first = state.Decide(new RecordAppsStates("device-1", Apps("acme-2", ("web", AppStates.Healthy), ("db", AppStates.Starting)), Now)).Single;
        state = state.Apply(first!);

        var sameLater = Apps("acme-2", ("web", AppStates.Healthy), ("db", AppStates.Starting)) with { DeviceTime = Now.AddHours(1) };
        var unchanged = state.Decide(new RecordAppsStates("device-1", sameLater, Now.AddHours(1))).Single;
        var changed = state.Decide(new RecordAppsStates("device-1", Apps("acme-2", ("web", AppStates.Healthy), ("db", AppStates.Unhealthy)), Now.AddHours(2))).Single;
        var otherTarget = state.Decide(new RecordAppsStates("device-1", Apps("acme-3", ("web", AppStates.Healthy), ("db", AppStates.Starting)), Now.AddHours(2))).Single;

        Assert.Equal((AppHealth.Starting, "acme-2"), (first!.AppHealth, first.CurrentTarget));
        Assert.Equal("acme-2", state.CurrentTarget);
        Assert.Null(unchanged);
        Assert.Equal(AppHealth.Unhealthy, changed!.AppHealth);
        Assert.Equal("acme-3", otherTarget!.CurrentTarget);
    }

    [Fact]
    public void App_health_is_the_worst_app_state()
    {
        Assert.Equal(AppHealth.None, AppHealth.Of(Apps("acme-1")));
        Assert.Equal(AppHealth.Healthy, AppHealth.Of(Apps("acme-1", ("a", AppStates.Healthy))));
        Assert.Equal(AppHealth.Starting, AppHealth.Of(Apps("acme-1", ("a", AppStates.Healthy), ("b", AppStates.Starting))));
        Assert.Equal(AppHealth.Unhealthy, AppHealth.Of(Apps("acme-1", ("a", AppStates.Stopped), ("b", AppStates.Starting))));
    }

    [Fact]
    public void System_info_is_persisted_only_when_it_changes()
    {
        var first = Registered().Decide(new RecordSystemInfo("device-1", Info(), Now)).Single;
        var state = Registered().Apply(first!);

        Assert.Null(state.Decide(new RecordSystemInfo("device-1", Info(), Now.AddMinutes(1))).Single);
        Assert.NotNull(state.Decide(new RecordSystemInfo("device-1", Info("1.0.1"), Now.AddMinutes(1))).Single);
        Assert.Equal(Info(), state.SystemInfo);
    }
}
