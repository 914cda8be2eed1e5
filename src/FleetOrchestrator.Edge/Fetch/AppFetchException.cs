namespace FleetOrchestrator.Edge.Fetch;

/// <summary>
/// An app that could not be fetched. <see cref="Transient"/> failures (registry unreachable, 5xx, credentials,
/// not enough disk space, local I/O) are retried next cycle and never mark a target bad; the others (wrong
/// digest or size, not a compose app, limits exceeded, unknown digest) mean the target itself is broken.
/// </summary>
public sealed class AppFetchException(string appUri, string problem, bool transient, Exception? inner = null)
    : Exception($"fetching app {appUri} failed ({(transient ? "transient, will retry" : "permanent")}): {problem}", inner)
{
    public string AppUri { get; } = appUri;
    public bool Transient { get; } = transient;
}
