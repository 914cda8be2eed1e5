using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;

namespace FleetOrchestrator.ControlPlane.Waves;

/// <summary>
/// What the periodic evaluation of the waves decides, pure: which stage starts (devices picked from the fleet table),
/// what the gates (<see cref="RolloutGate"/>) make of what a running stage's devices reported, and which devices are
/// handed the wave's view now. <see cref="WavesActor"/> reads the fleet table and persists the events.
/// </summary>
public static class WaveEvaluation
{
    /// <summary>The events an active wave needs now, from the fleet-table rows of its tag.</summary>
    public static IReadOnlyList<IWaveEvent> Evaluate(WaveRecord wave, IReadOnlyDictionary<string, FleetRow> rows, DateTimeOffset now, Random random)
    {
        if (StageToStart(wave) is { } start)
        {
            // A revoked device can fetch nothing: no stage takes it.
            var candidates = rows.Values.Where(r => r.Revocation is null).Select(r => new CandidateDevice(r.DeviceId, r.Group, r.LastSeen)).ToList();
            var picked = StageSelector.Pick(wave.Stages[start].Selection, candidates, wave.Devices.ToHashSet(StringComparer.Ordinal), now, random);
            return picked.Error is { } error
                ?
                [
                    new WaveStageDecided(wave.Wave, start, StageStatus.Tripped, $"cannot select devices: {error}", null, new StageTally(0, 0, 0, 0, 0, false)),
                    new WaveStatusChanged(wave.Wave, WaveStatus.Paused, $"stage {start} cannot select devices: {error}", now),
                ]
                : [new WaveStageStarted(wave.Wave, start, picked.DeviceIds, now)];
        }
        if (wave.CurrentStage is not { } current || wave.Stages[current] is not { StartedAt: { } startedAt } running
            || running.Status is StageStatus.Tripped or StageStatus.AwaitingApproval or StageStatus.Pending)
            return [];
        var events = new List<IWaveEvent>();
        var decision = RolloutGate.Evaluate(running.Gates, DevicesOf(wave, running, rows), startedAt, running.SuccessReachedAt, now);
        var status = StatusOf(decision.Outcome);
        if (status != running.Status || decision.Tally != running.Tally)
            events.Add(new WaveStageDecided(wave.Wave, current, status, decision.Reason, decision.SuccessReachedAt, decision.Tally));
        if (status is StageStatus.Tripped or StageStatus.AwaitingApproval)
            events.Add(new WaveStatusChanged(wave.Wave, WaveStatus.Paused, $"stage {current}: {decision.Reason}", now));
        return events;
    }

    /// <summary>The stage to start now: the current stage, when it is pending and the wave is active.</summary>
    public static int? StageToStart(WaveRecord wave) =>
        wave.Status == WaveStatus.Active && wave.CurrentStage is { } i && wave.Stages[i].Status == StageStatus.Pending ? i : null;

    /// <summary>The views due now over every wave (<see cref="ToRelease"/>), filling at most <paramref name="room"/> of the assigning window.</summary>
    public static IReadOnlyList<WaveDevicesReleased> Releases(IEnumerable<WaveRecord> waves, DateTimeOffset now, int room, int window)
    {
        var released = new List<WaveDevicesReleased>();
        foreach (var wave in waves)
        {
            if (ToRelease(wave, now, room, window) is not { } e) continue;
            released.Add(e);
            room -= e.DeviceIds.Count;
        }
        return released;
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
    /// tag or the stage's group, revoked or deleted → left; on the wave's target and installed → succeeded; an installation that
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
            var left = row is null || row.Revocation is not null || row.Tag != wave.Tag || (stage.Selection.Group is { } group && row.Group != group);
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
}
