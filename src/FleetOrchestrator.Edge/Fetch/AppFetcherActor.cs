using Akka.Actor;
using FleetOrchestrator.Infrastructure.Workers;

namespace FleetOrchestrator.Edge.Fetch;

/// <summary>One app of an update is verified and in the store.</summary>
public sealed record AppFetchSucceeded(string CorrelationId, string App);

/// <summary>An attempt failed; <paramref name="Retrying"/> says whether the back-off supervisor will try again.</summary>
public sealed record AppFetchAttemptFailed(string CorrelationId, string App, Exception Error, bool Retrying);

/// <summary>
/// Fetches one app into the store (<see cref="AppFetcher"/>) in a <see cref="BackoffWorker"/>, reporting to the agent
/// in its own messages. A transient failure (registry unreachable, 5xx, disk) is retried after an exponential
/// back-off, up to a few attempts per cycle, after which the agent (which counts the attempts) stops it and leaves
/// the app for the next cycle. A permanent failure (<see cref="AppFetchException"/> that is not transient, an invalid name) is reported once and stops it.
/// </summary>
public static class AppFetcherActor
{
    /// <summary>The fetcher under its back-off supervisor: restarts wait from <paramref name="minBackoff"/>, doubling to 30 s; at most <paramref name="attempts"/> tries.</summary>
    public static Props SupervisedProps(string correlationId, string app, string uri, Func<string, CancellationToken, Task> fetch, IActorRef agent,
        int attempts, TimeSpan minBackoff) =>
        BackoffWorker.Supervised(
            async ct =>
            {
                await fetch(uri, ct);
                return uri;
            },
            error => error is not AppFetchException { Transient: false } and not ArgumentException,
            new BackoffReports(_ => new AppFetchSucceeded(correlationId, app), (error, retrying) => new AppFetchAttemptFailed(correlationId, app, error, retrying)),
            agent, new BackoffPolicy(minBackoff, TimeSpan.FromSeconds(30), attempts));
}
