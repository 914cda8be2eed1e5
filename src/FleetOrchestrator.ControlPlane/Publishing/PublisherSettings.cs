namespace FleetOrchestrator.ControlPlane.Publishing;

/// <summary>The factory's registry settings every publish uses, and how stages are retried (HOCON <c>fleet.publishing</c>).</summary>
/// <param name="RecordTimeout">How long a publish waits for the target registry to record its target.</param>
/// <param name="RetryMinBackoff">First pause before a step that failed transiently (registry or engine unreachable) runs again; it doubles up to <see cref="RetryMaxBackoff"/>.</param>
/// <param name="MaxRetries">Restarts of one step before the publish gives up.</param>
/// <param name="Watch">A branch to publish on every new commit; null: publishes happen on request only.</param>
public sealed record PublisherSettings(
    string Factory,
    string Registry,
    bool PlainHttp,
    IReadOnlyDictionary<string, string> Mirrors,
    TimeSpan RecordTimeout,
    TimeSpan RetryMinBackoff,
    int MaxRetries,
    BranchWatchSettings? Watch = null)
{
    public TimeSpan RetryMaxBackoff => RetryMinBackoff * 30;
}
