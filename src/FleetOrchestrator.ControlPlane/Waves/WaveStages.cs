namespace FleetOrchestrator.ControlPlane.Waves;

/// <summary>
/// Which devices a stage takes, from the devices of the wave's tag not yet in the wave. Exactly one of
/// <see cref="DeviceIds"/>, <see cref="Count"/> or <see cref="Percent"/> may narrow the selection;
/// <see cref="Group"/> filters first. Neither count nor percent: every matching device.
/// </summary>
/// <param name="Percent">Of the remaining matching devices, rounded up (1–100).</param>
public sealed record StageSelection(string? Group = null, IReadOnlyList<string>? DeviceIds = null, int? Count = null, double? Percent = null)
{
    public string? Problem =>
        new object?[] { DeviceIds, Count, Percent }.Count(x => x is not null) > 1 ? "give at most one of device ids, count and percent"
        : Count is < 1 ? $"count must be at least 1, found {Count}"
        : Percent is <= 0 or > 100 ? $"percent must be in (0, 100], found {Percent}"
        : DeviceIds is { Count: 0 } ? "the device list is empty"
        : null;
}

/// <summary>
/// The gates of one stage. Thresholds are percentages of the stage's devices. The failure gate trips when
/// <see cref="FailureCount"/> devices failed, or when at least <see cref="MinimumSample"/> devices finished and
/// the failed share exceeds <see cref="FailurePercent"/>; it is checked before the success gate.
/// </summary>
/// <param name="SuccessPercent">Share of the stage's devices that must be running and healthy through their confirmation window.</param>
/// <param name="BakeTime">How long the success threshold must hold before the stage passes.</param>
/// <param name="StageTimeout">After this, devices that never reported count as failed; null: wait for ever.</param>
/// <param name="RequiresApproval">A passed stage waits for an operator's approval before the next one starts.</param>
/// <param name="RampPerMinute">Devices handed the target per minute within the stage; null: all at once.</param>
public sealed record StageGates(
    double SuccessPercent = 100,
    double? FailurePercent = 10,
    int? FailureCount = null,
    int MinimumSample = 1,
    TimeSpan? BakeTime = null,
    TimeSpan? StageTimeout = null,
    bool RequiresApproval = false,
    double? RampPerMinute = null)
{
    public string? Problem =>
        SuccessPercent is <= 0 or > 100 ? $"success threshold must be in (0, 100], found {SuccessPercent}"
        : FailurePercent is < 0 or >= 100 ? $"failure threshold must be in [0, 100), found {FailurePercent}"
        : FailureCount is < 1 ? $"failure count must be at least 1, found {FailureCount}"
        : MinimumSample < 1 ? $"minimum sample must be at least 1, found {MinimumSample}"
        : RampPerMinute is <= 0 ? $"ramp rate must be positive, found {RampPerMinute}"
        : BakeTime < TimeSpan.Zero || StageTimeout <= TimeSpan.Zero ? "bake time and stage timeout must be positive"
        : null;
}

/// <summary>Where one device of a stage is.</summary>
public enum DeviceRolloutStatus
{
    /// <summary>Chosen for the stage, not yet handed the target (ramp rate).</summary>
    Queued,
    /// <summary>Sees the wave's view; has not reported an outcome.</summary>
    Updating,
    /// <summary>Reported its apps running and healthy through the confirmation window on the wave's target.</summary>
    Succeeded,
    /// <summary>Reported a failed installation (rolled back) for the wave's target.</summary>
    Failed,
}

/// <summary>One device of a stage: its status, and whether it has left the tag or group since it was chosen.</summary>
public sealed record StageDevice(string DeviceId, DeviceRolloutStatus Status, bool Left = false);
