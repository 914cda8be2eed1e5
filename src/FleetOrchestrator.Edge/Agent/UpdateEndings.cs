using FleetOrchestrator.Edge.Fetch;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// How an update ends (pure): its closing record, which carries the closing event (so a crash before the outbox stored
/// the event cannot lose it), and how the cycle ends.
/// </summary>
public static class UpdateEndings
{
    /// <summary>Nothing on the device changed yet: a transient failure is retried next cycle, a permanent one marks the target bad.</summary>
    public static (UpdateAbandoned Record, CycleFinished Finished) FetchFailed(UpdateInProgress update, Exception error, DateTimeOffset at)
    {
        var transient = error is AppFetchException { Transient: true };
        var report = UpdateEvents.Of(update, DeviceEventTypes.DownloadCompleted, false, error.Message, at);
        return (new UpdateAbandoned(update.CorrelationId, error.Message, MarkFailed: !transient, RollbackFailed: false, report), transient
            ? new CycleFinished(CycleResult.Deferred, $"download of {update.Target.Name} failed, will retry next cycle: {error.Message}")
            : new CycleFinished(CycleResult.Refused, $"{update.Target.Name} refused and marked failed on this device: {error.Message}"));
    }

    /// <param name="notes">What could not be cleaned up (empty: everything was); the update stands regardless.</param>
    public static (UpdateConfirmed Record, CycleFinished Finished) Confirmed(UpdateInProgress update, string notes, DateTimeOffset at)
    {
        var report = UpdateEvents.Of(update, DeviceEventTypes.InstallationCompleted, true, notes.Length == 0 ? null : notes, at);
        return (new UpdateConfirmed(update.CorrelationId, at, report), new CycleFinished(CycleResult.Updated,
            $"{update.Target.Name} (version {update.Target.Version}) is running: {string.Join(", ", update.Target.Apps.Keys)}"));
    }

    /// <param name="problem">Why restoring the previous apps failed; null when it worked.</param>
    public static (UpdateAbandoned Record, CycleFinished Finished) RolledBack(UpdateInProgress update, string? problem, DateTimeOffset at)
    {
        var reason = update.RollbackReason ?? "update failed";
        var details = problem is null ? $"{reason}; rolled back to {update.Previous?.Name ?? "no apps"}" : $"{reason}; rollback failed: {problem}";
        var report = UpdateEvents.Of(update, DeviceEventTypes.InstallationCompleted, false, details, at);
        return (new UpdateAbandoned(update.CorrelationId, details, MarkFailed: true, RollbackFailed: problem is not null, report),
            new CycleFinished(problem is null ? CycleResult.RolledBack : CycleResult.RollbackFailed, details));
    }
}
