using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Publishing;

/// <summary>
/// A branch of a containers.git to publish on every new commit, with what each publish is for.
/// <see cref="Interval"/> is how often the branch head is read (<c>git ls-remote</c>, no clone).
/// </summary>
public sealed record BranchWatchSettings(string Repository, string Branch, string Tag, IReadOnlyList<string> HardwareIds, TimeSpan Interval)
{
    /// <summary>One watcher per repository and branch: its persistence id is derived from both.</summary>
    public string Key => $"{Repository}#{Branch}";
}

// ---- persisted events and queries ----------------------------------------------------------------

/// <summary>A commit of the watched branch was published (or its publish failed): it is never published again.</summary>
/// <param name="Target">The target's name when the publish succeeded; null when it failed.</param>
public sealed record WatchedCommitHandled(string Repository, string Branch, string CommitSha, string? Target, string? Failure, DateTimeOffset At) : IFleetMessage;

public sealed record GetBranchWatchStatus : IFleetMessage
{
    public static GetBranchWatchStatus Instance { get; } = new();
}

/// <param name="Checks">Heads read since this watcher started (kept in memory only).</param>
public sealed record BranchWatchStatus(string Repository, string Branch, string? LastHandledCommit, string? LastTarget, string? LastFailure, int Handled, long Checks, string? Publishing) : IFleetMessage;

/// <summary>What the watcher knows across restarts: the last commit handled and how it went.</summary>
public sealed record BranchWatchState(string? LastHandledCommit, string? LastTarget, string? LastFailure, int Handled) : IFleetMessage
{
    public static BranchWatchState Empty { get; } = new(null, null, null, 0);

    /// <summary>Whether a head just read is a commit to publish: new, and not the one being published now.</summary>
    public bool ShouldPublish(string head, string? publishing) => head != LastHandledCommit && head != publishing;

    public BranchWatchState Apply(WatchedCommitHandled e) => new(e.CommitSha, e.Target ?? LastTarget, e.Failure, Handled + 1);
}
