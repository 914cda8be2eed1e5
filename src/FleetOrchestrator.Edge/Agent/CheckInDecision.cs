using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// What a check-in decides (pure): the records it adds, then either the update to begin or how the cycle ends without one.
/// </summary>
/// <param name="Records">The failed targets cleared (when asked), the check-in, and the operator's config when the gateway's differs.</param>
/// <param name="Choice">The target selected, and why.</param>
/// <param name="Begun">The update to record and run; null when <see cref="Finished"/> ends the cycle.</param>
public sealed record CheckInDecision(IReadOnlyList<object> Records, TargetChoice Choice, UpdateBegun? Begun, CycleFinished? Finished)
{
    /// <param name="state">The agent's state before the check-in (its records are not applied yet when the choice is made,
    /// so failed targets cleared by <paramref name="retryFailed"/> are left out of the choice here).</param>
    /// <param name="updateId">Made into the update's correlation id, after the target's version.</param>
    public static CheckInDecision Decide(AgentState state, TargetsChecked check, bool retryFailed, EdgeSettings settings, Guid updateId, DateTimeOffset at)
    {
        var records = new List<object>();
        if (retryFailed && state.FailedTargets.Count > 0) records.Add(new FailedTargetsCleared(at));
        records.Add(new CheckedIn(check.At));
        if (check.ConfigProblem is null && !Equals(check.Config, state.Config)) records.Add(new ConfigReceived(check.Config, check.At));
        // Without an answer from the gateway the last known config stays.
        var config = settings.Follow(check.ConfigProblem is null ? check.Config : state.Config);
        var installed = state.Current is { } current ? new InstalledVersion(current.Name, current.Version) : null;
        // Asked to retry, the failed targets are eligible in this very cycle, not only from the next one.
        IReadOnlySet<string> failed = retryFailed ? new HashSet<string>() : state.FailedTargets;
        var choice = TargetSelection.Select(check.Candidates, settings.HardwareId, config.Tag, installed, failed, settings.DowngradeAllowed);
        var ends = choice.Outcome switch
        {
            SelectionOutcome.NoTarget => CycleResult.NoTarget,
            SelectionOutcome.DowngradeRefused => CycleResult.Refused,
            _ => (CycleResult?)null,
        };
        if (ends is { } result) return new CheckInDecision(records, choice, null, new CycleFinished(result, choice.Reason));
        var begun = state.Plan(choice.Target!, config.Apps, $"{choice.Target!.Version}-{updateId}", at);
        return begun is null
            ? new CheckInDecision(records, choice, null, new CycleFinished(CycleResult.UpToDate, choice.Reason))
            : new CheckInDecision(records, choice, begun, null);
    }
}
