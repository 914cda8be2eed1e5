using System.Collections.Immutable;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Protocol;
using FleetOrchestrator.Protocol.Decisions;

namespace FleetOrchestrator.ControlPlane.Waves;

/// <summary>
/// The decisions about a factory's waves, pure: each operator command is decided here (<see cref="Decision{TEvent}"/>),
/// and events are applied here. A command that changes a wave's view is accepted with no event first: the target
/// registry signs the view, then <see cref="ViewChanged"/> makes the event. <see cref="WavesActor"/> persists and drives;
/// <see cref="WaveEvaluation"/> decides what running waves need.
/// </summary>
public static class WavesDecisions
{
    public static ImmutableDictionary<string, WaveRecord> Empty { get; } = ImmutableDictionary.Create<string, WaveRecord>(StringComparer.Ordinal);

    /// <summary>Accepted with no event yet: the wave's view is opened first.</summary>
    public static Decision<IWaveEvent> Init(ImmutableDictionary<string, WaveRecord> waves, InitWave command) => Decision<IWaveEvent>.RefuseOr(
        Names.Wave.Problem(command.Wave) is { } invalid ? invalid
        : command.Wave == Tuf.Repository.TufRepository.ProductionView ? "\"production\" is reserved"
        : waves.ContainsKey(command.Wave) ? $"wave {command.Wave} already exists ({waves[command.Wave].Status})"
        : waves.Values.FirstOrDefault(w => w.Tag == command.Tag && w.IsOpen) is { } open ? $"tag {command.Tag} already has an open wave: {open.Wave} ({open.Status})"
        : null,
        () => Decision<IWaveEvent>.Unchanged);

    public static Decision<IWaveEvent> Rollout(ImmutableDictionary<string, WaveRecord> waves, RolloutWave command) => Decision<IWaveEvent>.RefuseOr(
        OpenProblem(waves, command.Wave) ?? command.Selection.Problem ?? command.Gates.Problem,
        () => Decision<IWaveEvent>.Accept(new WaveStageAdded(command.Wave, command.Selection, command.Gates)));

    public static Decision<IWaveEvent> Pause(ImmutableDictionary<string, WaveRecord> waves, PauseWave command, DateTimeOffset now) => Decision<IWaveEvent>.RefuseOr(
        OpenProblem(waves, command.Wave) ?? (waves[command.Wave].Status != WaveStatus.Active ? $"wave {command.Wave} is {waves[command.Wave].Status}" : null),
        () => Decision<IWaveEvent>.Accept(new WaveStatusChanged(command.Wave, WaveStatus.Paused, "paused by an operator", now)));

    /// <summary>A tripped stage or one waiting for approval is accepted; a paused wave goes on.</summary>
    public static Decision<IWaveEvent> Resume(ImmutableDictionary<string, WaveRecord> waves, ResumeWave command, DateTimeOffset now) => Decision<IWaveEvent>.RefuseOr(
        OpenProblem(waves, command.Wave), () =>
        {
            var wave = waves[command.Wave];
            var events = new List<IWaveEvent>();
            if (wave.CurrentStage is { } i && wave.Stages[i].Status is StageStatus.Tripped or StageStatus.AwaitingApproval)
                events.Add(new WaveStageDecided(wave.Wave, i, StageStatus.Passed, "accepted by an operator", wave.Stages[i].SuccessReachedAt, wave.Stages[i].Tally ?? new StageTally(0, 0, 0, 0, 0, false)));
            if (wave.Status == WaveStatus.Paused) events.Add(new WaveStatusChanged(wave.Wave, WaveStatus.Active, "resumed by an operator", now));
            return Decision<IWaveEvent>.Accept(events);
        });

    /// <summary>Abort, cancel or complete: accepted with no event yet while the wave is open; its view is ended first.</summary>
    public static Decision<IWaveEvent> End(ImmutableDictionary<string, WaveRecord> waves, IWaveCommand command) =>
        Decision<IWaveEvent>.RefuseOr(OpenProblem(waves, command.Wave), () => Decision<IWaveEvent>.Unchanged);

    /// <summary>The event of a command accepted by <see cref="Init"/> or <see cref="End"/> once the target registry signed its view change.</summary>
    public static Decision<IWaveEvent> ViewChanged(ImmutableDictionary<string, WaveRecord> waves, IWaveCommand command, WaveViewChanged changed, DateTimeOffset now) =>
        Decision<IWaveEvent>.Accept(command switch
        {
            InitWave init => new WaveInitialized(init.Wave, init.Tag, init.Version, changed.Target, now),
            AbortWave { Rollback: true } => new WaveStatusChanged(command.Wave, WaveStatus.Aborted,
                $"aborted by an operator; {changed.Target} is withdrawn and its devices go back to production", now),
            AbortWave => new WaveStatusChanged(command.Wave, WaveStatus.Aborted, "aborted by an operator", now),
            CancelWave => new WaveStatusChanged(command.Wave, WaveStatus.Cancelled, "cancelled by an operator", now),
            CompleteWave => new WaveStatusChanged(command.Wave, WaveStatus.Completed, $"{waves[command.Wave].Target} is production for tag {waves[command.Wave].Tag}", now),
            _ => throw new ArgumentException($"{command.GetType().Name} changes no wave view", nameof(command)),
        });

    /// <summary>Why the wave cannot be changed: it does not exist, or it ended; null when it is open (active or paused).</summary>
    private static string? OpenProblem(ImmutableDictionary<string, WaveRecord> waves, string name) =>
        !waves.TryGetValue(name, out var wave) ? $"no wave {name}"
        : !wave.IsOpen ? $"wave {name} is {wave.Status}"
        : null;

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

    private static WaveRecord WithStage(WaveRecord wave, int index, Func<WaveStageRecord, WaveStageRecord> change) =>
        wave with { Stages = wave.Stages.Select((s, i) => i == index ? change(s) : s).ToList() };
}
