using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Waves;

namespace FleetOrchestrator.ControlPlane.Tests.Waves;

public sealed class WavesStateTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);

    private static FleetRow Row(string id, string status, string? target, string tag = "prod", string? group = "lab", int minutes = 5) =>
        new(id, "generic", tag, group, target, status, AppHealth.Unknown, Start.AddDays(-1), Start.AddMinutes(minutes));

    private static WaveRecord Running(int devices, int released, StageGates? gates = null, WaveStatus status = WaveStatus.Active, StageStatus stage = StageStatus.Running) =>
        new("w", "prod", "2", "acme-2", status, null,
            [new WaveStageRecord(new StageSelection(), gates ?? new StageGates(), stage, Enumerable.Range(0, devices).Select(i => $"d{i}").ToList(), released, Start, null, null, null)]);

    [Theory]
    [InlineData(10, 0, 100, 10)]    // all fit in the window
    [InlineData(5000, 0, 1000, 1000)] // a full window, in release order
    [InlineData(5000, 1000, 600, 600)] // half the window free or more: fill it
    [InlineData(5000, 1400, 400, 0)]  // less than half free while more wait: wait for answers
    [InlineData(5000, 4800, 300, 200)] // the last ones, even with little room
    [InlineData(5000, 5000, 1000, 0)] // all released
    public void Views_are_handed_out_within_the_assigning_window(int devices, int released, int capacity, int expected)
    {
        var e = WavesState.ToRelease(Running(devices, released), Start, capacity, window: 1000);
        Assert.Equal(expected, e?.DeviceIds.Count ?? 0);
        if (e is not null) Assert.Equal($"d{released}", e.DeviceIds[0]);
    }

    [Fact]
    public void Views_follow_the_ramp_and_only_for_an_active_running_stage()
    {
        Assert.Equal(3, WavesState.ToRelease(Running(100, 1, new StageGates(RampPerMinute: 3)), Start.AddMinutes(1), 1000, 1000)!.DeviceIds.Count);
        Assert.Null(WavesState.ToRelease(Running(100, 0, status: WaveStatus.Paused), Start, 1000, 1000));
        Assert.Null(WavesState.ToRelease(Running(100, 0, stage: StageStatus.Tripped), Start, 1000, 1000));
        Assert.Null(WavesState.ToRelease(Running(100, 0, stage: StageStatus.AwaitingApproval), Start, 1000, 1000));
    }

    [Fact]
    public void Device_statuses_come_from_the_fleet_table_rows()
    {
        var stage = new WaveStageRecord(new StageSelection(Group: "lab"), new StageGates(), StageStatus.Running,
            ["ok", "failed", "old-failure", "downloading", "moved", "regrouped", "gone", "queued"], Released: 7, Start, null, null, null);
        var wave = new WaveRecord("w", "prod", "2", "acme-2", WaveStatus.Active, null, [stage]);
        var rows = new[]
        {
            Row("ok", DeviceStatuses.Installed, "acme-2"),
            Row("failed", DeviceStatuses.InstallFailed, "acme-1"),
            Row("old-failure", DeviceStatuses.InstallFailed, "acme-1", minutes: -10), // failed before the stage started
            Row("downloading", DeviceStatuses.DownloadFailed, "acme-1"),              // retried by the device: not a failure
            Row("moved", DeviceStatuses.Updating, "acme-1", tag: "dev"),
            Row("regrouped", DeviceStatuses.Installed, "acme-2", group: "field"),     // reported, then left: still counts
            Row("queued", DeviceStatuses.Registered, null),
        }.ToDictionary(r => r.DeviceId);

        var devices = WavesState.DevicesOf(wave, stage, rows).ToDictionary(d => d.DeviceId);

        Assert.Equal(DeviceRolloutStatus.Succeeded, devices["ok"].Status);
        Assert.Equal(DeviceRolloutStatus.Failed, devices["failed"].Status);
        Assert.Equal(DeviceRolloutStatus.Updating, devices["old-failure"].Status);
        Assert.Equal(DeviceRolloutStatus.Updating, devices["downloading"].Status);
        Assert.True(devices["moved"].Left);
        Assert.True(devices["regrouped"].Left);
        Assert.Equal(DeviceRolloutStatus.Succeeded, devices["regrouped"].Status);
        Assert.True(devices["gone"].Left);
        Assert.Equal(DeviceRolloutStatus.Queued, devices["queued"].Status);
        Assert.False(devices["ok"].Left);
    }

    [Fact]
    public void One_open_wave_per_tag_and_names_are_checked()
    {
        var waves = WavesState.Apply(WavesState.Empty, new WaveInitialized("w1", "prod", "2", "acme-2", Start));
        Assert.Equal("tag prod already has an open wave: w1 (Active)", WavesState.CheckInit(waves, new InitWave("w2", "3", "prod")));
        Assert.Null(WavesState.CheckInit(waves, new InitWave("w2", "3", "beta")));
        Assert.Equal("wave w1 already exists (Active)", WavesState.CheckInit(waves, new InitWave("w1", "3", "beta")));
        Assert.StartsWith("invalid wave name", WavesState.CheckInit(waves, new InitWave("../x", "3", "beta")));
        Assert.Equal("\"production\" is reserved", WavesState.CheckInit(waves, new InitWave("production", "3", "beta")));

        waves = WavesState.Apply(waves, new WaveStatusChanged("w1", WaveStatus.Cancelled, "cancelled", Start));
        Assert.Null(WavesState.CheckInit(waves, new InitWave("w2", "3", "prod")));
        Assert.Equal("wave w1 is Cancelled", WavesState.CheckRollout(waves, new RolloutWave("w1", new StageSelection(), new StageGates())));
    }

    [Fact]
    public void Stages_start_in_order_only_after_the_previous_one_passed()
    {
        var waves = WavesState.Apply(WavesState.Empty, new WaveInitialized("w", "prod", "2", "acme-2", Start));
        waves = WavesState.Apply(waves, new WaveStageAdded("w", new StageSelection(Count: 1), new StageGates()));
        waves = WavesState.Apply(waves, new WaveStageAdded("w", new StageSelection(Count: 2), new StageGates()));
        Assert.Equal(0, WavesState.StageToStart(waves["w"]));
        waves = WavesState.Apply(waves, new WaveStageStarted("w", 0, ["a"], Start));
        Assert.Null(WavesState.StageToStart(waves["w"]));
        waves = WavesState.Apply(waves, new WaveStageDecided("w", 0, StageStatus.Passed, "ok", Start, new StageTally(1, 1, 0, 0, 0, false)));
        Assert.Equal(1, WavesState.StageToStart(waves["w"]));
        waves = WavesState.Apply(waves, new WaveStatusChanged("w", WaveStatus.Paused, "operator", Start));
        Assert.Null(WavesState.StageToStart(waves["w"]));
    }

    [Fact]
    public void A_twin_takes_a_wave_view_only_for_its_own_tag_and_once()
    {
        var registered = DeviceTwinState.Empty("d1").Apply(new DeviceWasRegistered("d1", new DeviceRegistration("generic", "prod", "fp", Start)));
        Assert.Equal(Tuf.Repository.TufRepository.ProductionView, registered.ServedView());

        var assigned = registered.Decide(new AssignDeviceView("d1", "prod", "wave-1"));
        Assert.Null(assigned.Refusal);
        var inWave = registered.Apply(assigned.Single!);
        Assert.Equal("wave-1", inWave.ServedView());
        Assert.Equal(registered.LastSeen, inWave.LastSeen); // not a contact with the device
        Assert.Null(inWave.Decide(new AssignDeviceView("d1", "prod", "wave-1")).Single);
        Assert.Equal("device \"d1\" has tag prod, not beta", inWave.Decide(new AssignDeviceView("d1", "beta", "wave-9")).Refusal);
        Assert.Equal("device \"d2\" is not registered", DeviceTwinState.Empty("d2").Decide(new AssignDeviceView("d2", "prod", "wave-1")).Refusal);

        var back = inWave.Apply(inWave.Decide(new AssignDeviceView("d1", "prod", null)).Single!);
        Assert.Equal(Tuf.Repository.TufRepository.ProductionView, back.ServedView());
    }
}
