namespace FleetOrchestrator.ControlPlane.Waves;

public enum GateOutcome
{
    /// <summary>Devices are still updating; nothing to do.</summary>
    Waiting,
    /// <summary>The success threshold holds; the stage passes once it has held for the bake time.</summary>
    Baking,
    /// <summary>The stage passed: the next stage may start.</summary>
    Passed,
    /// <summary>The stage passed and waits for an operator's approval before the next one.</summary>
    AwaitingApproval,
    /// <summary>A gate tripped: the wave pauses (resume accepts the stage and moves on).</summary>
    Tripped,
}

/// <summary>The counts a decision was made from. <see cref="Silent"/> devices are counted as failed once the stage timed out.</summary>
public sealed record StageTally(int Devices, int Succeeded, int Failed, int Pending, int Left, bool TimedOut)
{
    public int Silent => TimedOut ? Pending : 0;
    public int CountedFailed => Failed + Silent;
    public int Finished => Succeeded + CountedFailed;
}

/// <param name="SuccessReachedAt">When the success threshold started to hold (carried to the next evaluation for the bake time); null when it does not hold.</param>
public sealed record GateDecision(GateOutcome Outcome, string Reason, StageTally Tally, DateTimeOffset? SuccessReachedAt);

/// <summary>
/// The gate arithmetic of a wave stage, pure: the same inputs always give the same decision. Order: an
/// empty stage passes; the failure gate (absolute count, or the failed share of finished devices once
/// <see cref="StageGates.MinimumSample"/> finished) is checked before the success gate; after the stage
/// timeout, devices that never reported count as failed. Devices that left the tag or group before they
/// reported are not counted at all; those that reported still count.
/// </summary>
public static class RolloutGate
{
    public static GateDecision Evaluate(StageGates gates, IReadOnlyCollection<StageDevice> devices, DateTimeOffset stageStartedAt,
        DateTimeOffset? successReachedAt, DateTimeOffset now)
    {
        var tally = Tally(gates, devices, stageStartedAt, now);
        if (tally.Devices == 0)
            return new GateDecision(GateOutcome.Passed, tally.Left > 0 ? "every device of the stage left it before reporting" : "the stage has no devices", tally, null);

        if (FailureReason(gates, tally) is { } failure)
            return new GateDecision(GateOutcome.Tripped, failure, tally, null);

        if (tally.Succeeded * 100.0 >= gates.SuccessPercent * tally.Devices)
        {
            var since = successReachedAt ?? now;
            var bakedUntil = since + (gates.BakeTime ?? TimeSpan.Zero);
            if (now < bakedUntil)
                return new GateDecision(GateOutcome.Baking, $"{Share(tally.Succeeded, tally.Devices)} succeeded; baking until {bakedUntil:u}", tally, since);
            var passed = $"{Share(tally.Succeeded, tally.Devices)} succeeded (threshold {gates.SuccessPercent}%)";
            return gates.RequiresApproval
                ? new GateDecision(GateOutcome.AwaitingApproval, passed + "; waiting for approval", tally, since)
                : new GateDecision(GateOutcome.Passed, passed, tally, since);
        }

        if (tally.TimedOut)
            return new GateDecision(GateOutcome.Tripped,
                $"stage timed out after {gates.StageTimeout}: {Share(tally.Succeeded, tally.Devices)} succeeded, below {gates.SuccessPercent}%", tally, null);
        return new GateDecision(GateOutcome.Waiting, $"{tally.Succeeded} succeeded, {tally.Failed} failed, {tally.Pending} updating of {tally.Devices}", tally, null);
    }

    /// <summary>How many queued devices may be handed the target now: all of them without a ramp rate; else one at once and <see cref="StageGates.RampPerMinute"/> more each minute since the stage started.</summary>
    public static int Releasable(StageGates gates, int queued, int released, DateTimeOffset stageStartedAt, DateTimeOffset now)
    {
        if (queued <= 0) return 0;
        if (gates.RampPerMinute is not { } rate) return queued;
        var minutes = Math.Max(0, (now - stageStartedAt).TotalMinutes);
        var allowed = 1 + (long)Math.Floor(rate * minutes);
        return (int)Math.Clamp(allowed - released, 0, queued);
    }

    private static StageTally Tally(StageGates gates, IReadOnlyCollection<StageDevice> devices, DateTimeOffset stageStartedAt, DateTimeOffset now)
    {
        int counted = 0, succeeded = 0, failed = 0, pending = 0, left = 0;
        foreach (var device in devices)
        {
            var reported = device.Status is DeviceRolloutStatus.Succeeded or DeviceRolloutStatus.Failed;
            if (device.Left && !reported)
            {
                left++;
                continue;
            }
            counted++;
            switch (device.Status)
            {
                case DeviceRolloutStatus.Succeeded: succeeded++; break;
                case DeviceRolloutStatus.Failed: failed++; break;
                default: pending++; break;
            }
        }
        var timedOut = gates.StageTimeout is { } timeout && now >= stageStartedAt + timeout;
        return new StageTally(counted, succeeded, failed, pending, left, timedOut);
    }

    private static string? FailureReason(StageGates gates, StageTally tally)
    {
        var failed = tally.CountedFailed;
        var silent = tally.Silent > 0 ? $" ({tally.Silent} silent past the stage timeout)" : "";
        if (gates.FailureCount is { } count && failed >= count)
            return $"{failed} devices failed{silent}, failure count threshold {count}";
        if (gates.FailurePercent is { } percent && tally.Finished >= gates.MinimumSample && failed * 100.0 > percent * tally.Finished)
            return $"{Share(failed, tally.Finished)} of finished devices failed{silent}, above {percent}% (minimum sample {gates.MinimumSample})";
        return null;
    }

    private static string Share(int part, int whole) => $"{part}/{whole} ({part * 100.0 / whole:0.#}%)";
}
