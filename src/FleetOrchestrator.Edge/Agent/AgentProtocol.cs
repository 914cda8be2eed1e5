using FleetOrchestrator.Protocol;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Edge.Agent;

// ---- commands to the DeviceAgent

/// <summary>Run one check-and-install cycle (or finish the one a restart interrupted); the sender gets <see cref="CycleFinished"/>.</summary>
public sealed record RunCycle(bool RetryFailedTargets = false);

/// <summary>How a cycle ended, with the exit code <c>fleet-edge update --once</c> returns.</summary>
public sealed record CycleFinished(CycleResult Result, string Message)
{
    public int ExitCode => Result switch
    {
        CycleResult.Updated or CycleResult.UpToDate or CycleResult.NoTarget => 0,
        CycleResult.RolledBack => 110,
        CycleResult.RollbackFailed => 130,
        _ => 1,
    };
}

public enum CycleResult
{
    Updated,
    UpToDate,
    NoTarget,
    /// <summary>Metadata or a download failed for a reason that may pass (network, space): nothing marked bad, retried next cycle.</summary>
    Deferred,
    /// <summary>The target is broken (refused content, downgrade refused): marked failed on this device where it applies.</summary>
    Refused,
    RolledBack,
    RollbackFailed,
}

// ---- persisted events of the DeviceAgent (journal "device-agent")

/// <summary>The apps a target gives this device (the selection applied).</summary>
public sealed record DeviceTarget(string Name, long Version, IReadOnlyDictionary<string, string> Apps);

/// <summary>A new target (or a new app selection of the installed one) is being installed.</summary>
/// <param name="Install">Apps to fetch and install (new or changed).</param>
/// <param name="Remove">Apps to stop and delete once the update is confirmed.</param>
public sealed record UpdateBegun(string CorrelationId, DeviceTarget Target, IReadOnlyList<string> Install, IReadOnlyList<string> Remove,
    DateTimeOffset At) : IFleetMessage;

/// <summary>Every app to install is in the store, verified.</summary>
public sealed record UpdateFetched(string CorrelationId) : IFleetMessage;

/// <summary>Every app to install is extracted into place (previous versions kept aside).</summary>
public sealed record UpdateInstalled(string CorrelationId) : IFleetMessage;

/// <summary><c>up</c> succeeded for every app of the target; the confirmation window runs.</summary>
public sealed record UpdateStarted(string CorrelationId) : IFleetMessage;

/// <summary>The apps held running and healthy through the window: the target is the device's.</summary>
/// <param name="Report">The closing event, kept with the record so a crash before the outbox stored it cannot lose it.</param>
public sealed record UpdateConfirmed(string CorrelationId, DateTimeOffset At, DeviceEvent? Report = null) : IFleetMessage;

/// <summary>The update failed after something changed on the device: the previous apps are being restored.</summary>
public sealed record RollbackBegun(string CorrelationId, string Reason) : IFleetMessage;

/// <summary>The update ended without becoming the device's target.</summary>
/// <param name="MarkFailed">The target is marked failed here (skipped until an operator retries).</param>
/// <param name="RollbackFailed">Restoring the previous apps failed too.</param>
/// <param name="Report">The closing event, kept with the record (see <see cref="UpdateConfirmed"/>).</param>
public sealed record UpdateAbandoned(string CorrelationId, string Reason, bool MarkFailed, bool RollbackFailed, DeviceEvent? Report = null) : IFleetMessage;

/// <summary>An operator asked to try failed targets again.</summary>
public sealed record FailedTargetsCleared(DateTimeOffset At) : IFleetMessage;

/// <summary>The gateway's metadata was read (a check-in).</summary>
public sealed record CheckedIn(DateTimeOffset At) : IFleetMessage;

/// <summary>
/// The gateway's <c>/config</c> answered other than the last known one: the agent follows <see cref="Config"/> (the tag and
/// apps an operator set) from now on, or edge.conf again when it is null (the operator's config was dropped).
/// </summary>
public sealed record ConfigReceived(DeviceConfig? Config, DateTimeOffset At) : IFleetMessage;

public sealed record DeviceAgentSnapshot(DeviceTarget? Current, UpdateInProgress? Update, IReadOnlyList<string> FailedTargets,
    DateTimeOffset? LastCheckIn, DeviceEvent? LastReport = null, DeviceConfig? Config = null) : IFleetMessage;
