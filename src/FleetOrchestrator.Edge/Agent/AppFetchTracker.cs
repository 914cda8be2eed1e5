using FleetOrchestrator.Edge.Fetch;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// The bookkeeping of one update's fetch step (pure): the apps not yet in the store, the attempts each used and the last
/// error. The agent counts the attempts: when an app's are used up, the step fails and the app waits for the next cycle.
/// </summary>
public sealed class AppFetchTracker(UpdateInProgress update, int attemptsAllowed)
{
    private readonly HashSet<string> _pending = new(update.Install, StringComparer.Ordinal);
    private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private Exception? _lastError;

    public bool AllFetched => _pending.Count == 0;

    public void Fetched(string app) => _pending.Remove(app);

    /// <summary>Null while <paramref name="app"/> is retried after a back-off; else the failure that ends the step.</summary>
    public Exception? AttemptFailed(string app, Exception error, bool retrying)
    {
        _lastError = error;
        var attempts = _attempts[app] = _attempts.GetValueOrDefault(app) + 1;
        if (retrying && attempts < attemptsAllowed) return null;
        return error is AppFetchException or ArgumentException ? error
            : new AppFetchException(update.Target.Apps[app], error.Message, transient: retrying, error);
    }

    /// <summary>
    /// <paramref name="app"/>'s fetcher stopped. Null when the app was fetched; else its attempts are used up and this is
    /// the failure that ends the step (transient: retried next cycle, unless the last error said otherwise).
    /// </summary>
    public AppFetchException? Stopped(string app)
    {
        if (!_pending.Contains(app)) return null;
        var uri = update.Target.Apps[app];
        return _lastError switch
        {
            AppFetchException known => known,
            { } other => new AppFetchException(uri, other.Message, transient: true, other),
            null => new AppFetchException(uri, "the fetcher stopped", transient: true),
        };
    }
}
