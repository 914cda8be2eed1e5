using System.Collections.Immutable;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Waves;

/// <summary>One stage of a wave as recorded: its devices (in release order), how many were handed the target, and the last gate decision.</summary>
public sealed record WaveStageRecord(
    StageSelection Selection,
    StageGates Gates,
    StageStatus Status,
    IReadOnlyList<string> Devices,
    int Released,
    DateTimeOffset? StartedAt,
    DateTimeOffset? SuccessReachedAt,
    StageTally? Tally,
    string? Reason);

public sealed record WaveRecord(string Wave, string Tag, string Version, string Target, WaveStatus Status, string? Reason, IReadOnlyList<WaveStageRecord> Stages)
{
    public bool IsOpen => Status is WaveStatus.Active or WaveStatus.Paused;

    public IEnumerable<string> Devices => Stages.SelectMany(s => s.Devices);

    /// <summary>The stage being run: the first one that has not passed; null when all passed (or there are none).</summary>
    public int? CurrentStage
    {
        get
        {
            for (var i = 0; i < Stages.Count; i++)
                if (Stages[i].Status != StageStatus.Passed) return i;
            return null;
        }
    }

    public WaveSummary Summary() => new(Wave, Tag, Version, Target, Status, Reason,
        Stages.Select((s, i) => new StageSummary(i, s.Selection, s.Gates, s.Status, s.Devices.Count, s.Released, s.Tally, s.Reason)).ToList(),
        Stages.Sum(s => s.Devices.Count));
}

/// <summary>
/// The waves of a factory and the decisions about them, pure: commands are checked here, events applied here,
/// and a stage's device statuses derived here from fleet-table rows. <see cref="WavesActor"/> persists and drives.
/// </summary>
public static class WavesState
{
    public static ImmutableDictionary<string, WaveRecord> Empty { get; } = ImmutableDictionary.Create<string, WaveRecord>(StringComparer.Ordinal);

    public static string? CheckInit(ImmutableDictionary<string, WaveRecord> waves, InitWave command) =>
        Names.Wave.Problem(command.Wave) is { } invalid ? invalid
        : command.Wave == Tuf.Repository.TufRepository.ProductionView ? "\"production\" is reserved"
        : waves.ContainsKey(command.Wave) ? $"wave {command.Wave} already exists ({waves[command.Wave].Status})"
        : waves.Values.FirstOrDefault(w => w.Tag == command.Tag && w.IsOpen) is { } open ? $"tag {command.Tag} already has an open wave: {open.Wave} ({open.Status})"
        : null;

    public static string? CheckRollout(ImmutableDictionary<string, WaveRecord> waves, RolloutWave command) =>
        !waves.TryGetValue(command.Wave, out var wave) ? $"no wave {command.Wave}"
        : !wave.IsOpen ? $"wave {command.Wave} is {wave.Status}"
        : command.Selection.Problem ?? command.Gates.Problem;

    /// <summary>The wave, when it exists and is open (active or paused); else why not.</summary>
    public static (WaveRecord? Wave, string? Problem) Open(ImmutableDictionary<string, WaveRecord> waves, string name) =>
        !waves.TryGetValue(name, out var wave) ? (null, $"no wave {name}")
        : !wave.IsOpen ? (null, $"wave {name} is {wave.Status}")
        : (wave, null);

    /// <summary>The stage to start now: the current stage, when it is pending and the wave is active.</summary>
    public static int? StageToStart(WaveRecord wave) =>
        wave.Status == WaveStatus.Active && wave.CurrentStage is { } i && wave.Stages[i].Status == StageStatus.Pending ? i : null;

    public static ImmutableDictionary<string, WaveRecord> Apply(ImmutableDictionary<string, WaveRecord> waves, IWaveEvent e)
    {
        if (e is WaveInitialized init)
            return waves.SetItem(init.Wave, new WaveRecord(init.Wave, init.Tag, init.Version, init.Target, WaveStatus.Active, null, []));
        var wave = waves[e.Wave];
        return waves.SetItem(e.Wave, e switch
        {
            WaveStageAdded added => wave with { Stages = [.. wave.Stages, new WaveStageRecord(added.Selection, added.Gates, StageStatus.Pending, [], 0, null, null, null, null)] },
            WaveStageStarted started => WithStage(wave, started.Stage, s => s with { Status = StageStatus.Running, Devices = started.DeviceIds, StartedAt = started.At }),
            WaveDevicesReleased released => WithStage(wave, released.Stage, s => s with { Released = s.Released + released.DeviceIds.Count }),
            WaveStageDecided decided => WithStage(wave, decided.Stage, s => s with { Status = decided.Status, Reason = decided.Reason, SuccessReachedAt = decided.SuccessReachedAt, Tally = decided.Tally }),
            WaveStatusChanged changed => wave with { Status = changed.Status, Reason = changed.Reason },
            _ => throw new ArgumentException($"unknown wave event {e.GetType().Name}"),
        });
    }

    /// <summary>
    /// The devices of the wave's running stage to hand its view now: what the ramp allows, at most <paramref name="capacity"/>
    /// (views handed out whose twins have not answered yet hold the rest of the <paramref name="window"/> back), and no trickle:
    /// while more wait than fit, nothing until half the window is free. Null when nothing is due.
    /// </summary>
    public static WaveDevicesReleased? ToRelease(WaveRecord wave, DateTimeOffset now, int capacity, int window)
    {
        if (wave.Status != WaveStatus.Active || wave.CurrentStage is not { } i || wave.Stages[i] is not { StartedAt: { } startedAt } stage
            || stage.Status is StageStatus.Tripped or StageStatus.AwaitingApproval or StageStatus.Pending)
            return null;
        var releasable = RolloutGate.Releasable(stage.Gates, stage.Devices.Count - stage.Released, stage.Released, startedAt, now);
        var count = Math.Min(releasable, capacity);
        if (count <= 0 || (count < releasable && capacity < window / 2)) return null;
        return new WaveDevicesReleased(wave.Wave, i, stage.Devices.Skip(stage.Released).Take(count).ToList());
    }

    /// <summary>
    /// A stage's devices as the gate sees them, from the fleet table: not yet released → queued; gone from the
    /// tag or the stage's group → left; on the wave's target and installed → succeeded; an installation that
    /// failed since the stage started → failed; anything else → updating. Download failures are retried by
    /// devices and never count as failures.
    /// </summary>
    public static IReadOnlyList<StageDevice> DevicesOf(WaveRecord wave, WaveStageRecord stage, IReadOnlyDictionary<string, FleetRow> rows)
    {
        var devices = new List<StageDevice>(stage.Devices.Count);
        for (var i = 0; i < stage.Devices.Count; i++)
        {
            var id = stage.Devices[i];
            var row = rows.GetValueOrDefault(id);
            var left = row is null || row.Tag != wave.Tag || (stage.Selection.Group is { } group && row.Group != group);
            var status = i >= stage.Released ? DeviceRolloutStatus.Queued
                : row is null ? DeviceRolloutStatus.Updating
                : row.CurrentTarget == wave.Target && row.Status == DeviceStatuses.Installed ? DeviceRolloutStatus.Succeeded
                : row.Status == DeviceStatuses.InstallFailed && row.LastSeen >= stage.StartedAt ? DeviceRolloutStatus.Failed
                : DeviceRolloutStatus.Updating;
            devices.Add(new StageDevice(id, status, left));
        }
        return devices;
    }

    /// <summary>The stage status a gate outcome maps to.</summary>
    public static StageStatus StatusOf(GateOutcome outcome) => outcome switch
    {
        GateOutcome.Baking => StageStatus.Baking,
        GateOutcome.Passed => StageStatus.Passed,
        GateOutcome.AwaitingApproval => StageStatus.AwaitingApproval,
        GateOutcome.Tripped => StageStatus.Tripped,
        _ => StageStatus.Running,
    };

    private static WaveRecord WithStage(WaveRecord wave, int index, Func<WaveStageRecord, WaveStageRecord> change) =>
        wave with { Stages = wave.Stages.Select((s, i) => i == index ? change(s) : s).ToList() };
}
