using Akka.Actor;
using Akka.Pattern;

namespace FleetOrchestrator.Edge.Fetch;

/// <summary>One app of an update is verified and in the store.</summary>
public sealed record AppFetchSucceeded(string CorrelationId, string App);

/// <summary>An attempt failed; <paramref name="Retrying"/> says whether the back-off supervisor will try again.</summary>
public sealed record AppFetchAttemptFailed(string CorrelationId, string App, Exception Error, bool Retrying);

/// <summary>
/// Fetches one app into the store (<see cref="AppFetcher"/>), reporting to the agent. Runs under a
/// <see cref="BackoffSupervisor"/> (<see cref="SupervisedProps"/>): a transient failure (registry unreachable, 5xx,
/// disk) makes it fail and be restarted after an exponential back-off, up to a few attempts per cycle, after which the
/// agent (which counts the attempts) stops it and leaves the app for the next cycle. A permanent failure is reported once and stops it.
/// </summary>
public sealed class AppFetcherActor : ReceiveActor
{
    private readonly CancellationTokenSource _stopping = new();

    private sealed record Fetched;

    /// <summary>Thrown to have the back-off supervisor restart this fetcher.</summary>
    private sealed class RetryLater(Exception inner) : Exception(inner.Message, inner);

    public AppFetcherActor(string correlationId, string app, string uri, Func<string, CancellationToken, Task> fetch, IActorRef agent)
    {
        Receive<Fetched>(_ =>
        {
            agent.Tell(new AppFetchSucceeded(correlationId, app));
            Context.Stop(Self);
        });
        Receive<Status.Failure>(failure =>
        {
            var error = failure.Cause is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerException! : failure.Cause;
            var transient = error is not AppFetchException { Transient: false } and not ArgumentException;
            agent.Tell(new AppFetchAttemptFailed(correlationId, app, error, transient));
            if (transient) throw new RetryLater(error);
            Context.Stop(Self);
        });
        fetch(uri, _stopping.Token).PipeTo(Self, success: () => new Fetched());
    }

    protected override void PostStop() => _stopping.Cancel();

    /// <summary>The fetcher under its back-off supervisor: restarts wait from <paramref name="minBackoff"/>, doubling to 30 s; at most <paramref name="attempts"/> tries.</summary>
    public static Props SupervisedProps(string correlationId, string app, string uri, Func<string, CancellationToken, Task> fetch, IActorRef agent,
        int attempts, TimeSpan minBackoff) =>
        BackoffSupervisor.Props(Backoff.OnFailure(
            Props.Create(() => new AppFetcherActor(correlationId, app, uri, fetch, agent)), "fetcher",
            minBackoff, TimeSpan.FromSeconds(30), randomFactor: 0.2, maxNrOfRetries: attempts));
}
