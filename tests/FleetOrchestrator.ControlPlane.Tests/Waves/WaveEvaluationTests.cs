using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Waves;

namespace FleetOrchestrator.ControlPlane.Tests.Waves;

public sealed class WaveEvaluationTests
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
        var e = WaveEvaluation.ToRelease(Running(devices, released), Start, capacity, window: 1000);
        Assert.Equal(expected, e?.DeviceIds.Count ?? 0);
        if (e is not null) Assert.Equal($"d{released}", e.DeviceIds[0]);
    }

    [Fact]
    public void Views_follow_the_ramp_and_only_for_an_active_running_stage()
    {
        Assert.Equal(3, WaveEvaluation.ToRelease(Running(100, 1, new StageGates(RampPerMinute: 3)), Start.AddMinutes(1), 1000, 1000)!.DeviceIds.Count);
        Assert.Null(WaveEvaluation.ToRelease(Running(100, 0, status: WaveStatus.Paused), Start, 1000, 1000));
        Assert.Null(WaveEvaluation.ToRelease(Running(100, 0, stage: StageStatus.Tripped), Start, 1000, 1000));
        Assert.Null(WaveEvaluation.ToRelease(Running(100, 0, stage: StageStatus.AwaitingApproval), Start, 1000, 1000));
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

        var devices = WaveEvaluation.DevicesOf(wave, stage, rows).ToDictionary(d => d.DeviceId);

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
    public void Stages_start_in_order_only_after_the_previous_one_passed()
    {
        var waves = WavesDecisions.Apply(WavesDecisions.Empty, new WaveInitialized("w", "prod", "2", "acme-2", Start));
        waves = WavesDecisions.Apply(waves, new WaveStageAdded("w", new StageSelection(Count: 1), new StageGates()));
        waves = WavesDecisions.Apply(waves, new WaveStageAdded("w", new StageSelection(Count: 2), new StageGates()));
        Assert.Equal(0, WaveEvaluation.StageToStart(waves["w"]));
        waves = WavesDecisions.Apply(waves, new WaveStageStarted("w", 0, ["a"], Start));
        Assert.Null(WaveEvaluation.StageToStart(waves["w"]));
        waves = WavesDecisions.Apply(waves, new WaveStageDecided("w", 0, StageStatus.Passed, "ok", Start, new StageTally(1, 1, 0, 0, 0, false)));
        Assert.Equal(1, WaveEvaluation.StageToStart(waves["w"]));
        waves = WavesDecisions.Apply(waves, new WaveStatusChanged("w", WaveStatus.Paused, "operator", Start));
        Assert.Null(WaveEvaluation.StageToStart(waves["w"]));
    }

    [Fact]
    public void A_pending_stage_starts_with_devices_picked_from_the_rows_not_yet_in_the_wave()
    {
        var waves = WavesDecisions.Apply(WavesDecisions.Empty, new WaveInitialized("w", "prod", "2", "acme-2", Start));
        waves = WavesDecisions.Apply(waves, new WaveStageAdded("w", new StageSelection(Group: "lab"), new StageGates()));
        var rows = new[] { Row("a", DeviceStatuses.Installed, "acme-1"), Row("b", DeviceStatuses.Installed, "acme-1", group: "field") }.ToDictionary(r => r.DeviceId);

        var started = Assert.IsType<WaveStageStarted>(Assert.Single(WaveEvaluation.Evaluate(waves["w"], rows, Start, new Random(1))));

        Assert.Equal(("w", 0, Start), (started.Wave, started.Stage, started.At));
        Assert.Equal(["a"], started.DeviceIds);
    }

    [Fact]
    public void A_stage_that_cannot_select_devices_trips_and_pauses_the_wave()
    {
        var waves = WavesDecisions.Apply(WavesDecisions.Empty, new WaveInitialized("w", "prod", "2", "acme-2", Start));
        waves = WavesDecisions.Apply(waves, new WaveStageAdded("w", new StageSelection(DeviceIds: ["gone"]), new StageGates()));

        var events = WaveEvaluation.Evaluate(waves["w"], new Dictionary<string, FleetRow>(), Start, new Random(1));

        Assert.Equal(StageStatus.Tripped, Assert.IsType<WaveStageDecided>(events[0]).Status);
        Assert.Equal(WaveStatus.Paused, Assert.IsType<WaveStatusChanged>(events[1]).Status);
        Assert.Equal("stage 0 cannot select devices: not devices of the wave's tag: gone", ((WaveStatusChanged)events[1]).Reason);
    }

    [Fact]
    public void A_running_stage_passes_once_its_devices_succeeded_and_records_the_tally()
    {
        var wave = Running(2, 2);
        var rows = new[] { Row("d0", DeviceStatuses.Installed, "acme-2", group: null), Row("d1", DeviceStatuses.Installed, "acme-2", group: null) }.ToDictionary(r => r.DeviceId);

        var decided = Assert.IsType<WaveStageDecided>(Assert.Single(WaveEvaluation.Evaluate(wave, rows, Start.AddMinutes(10), new Random(1))));

        Assert.Equal((0, StageStatus.Passed, 2), (decided.Stage, decided.Status, decided.Tally.Succeeded));
        Assert.Empty(WaveEvaluation.Evaluate(wave with { Stages = [wave.Stages[0] with { Status = StageStatus.Tripped }] }, rows, Start, new Random(1)));
    }

    [Fact]
    public void Releases_share_the_room_of_the_window_between_waves_in_order()
    {
        var first = Running(600, 0);
        var second = Running(300, 0) with { Wave = "w2" };
        var third = Running(300, 0) with { Wave = "w3" };

        var released = WaveEvaluation.Releases([first, second, third], Start, room: 1000, window: 1000);

        // The third would only fit in part while less than half the window is free: it waits for answers.
        Assert.Equal([("w", 600), ("w2", 300)], released.Select(r => (r.Wave, r.DeviceIds.Count)));
    }
}
