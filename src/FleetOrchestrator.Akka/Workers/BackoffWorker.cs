using Akka.Actor;
using Akka.Pattern;

namespace FleetOrchestrator.Infrastructure.Workers;

/// <summary>How a <see cref="BackoffWorker"/> is restarted after transient failures.</summary>
/// <param name="MinBackoff">The pause before the first restart; it doubles (±20 %) up to <paramref name="MaxBackoff"/>.</param>
/// <param name="MaxRetries">Restarts before the supervisor gives up and stops.</param>
public sealed record BackoffPolicy(TimeSpan MinBackoff, TimeSpan MaxBackoff, int MaxRetries);

/// <summary>The messages a <see cref="BackoffWorker"/> tells its owner, built by the owner so that they are its own.</summary>
/// <param name="Succeeded">From the job's result, once it completed.</param>
/// <param name="AttemptFailed">From an attempt's error and whether the worker will try again (transient) or stops (permanent).</param>
public sealed record BackoffReports(Func<object, object> Succeeded, Func<Exception, bool, object> AttemptFailed);

/// <summary>
/// Runs one async job off the actor thread under a <see cref="BackoffSupervisor"/> (<see cref="Supervised"/>) and reports
/// to its owner how each attempt ended. Success: reported, the worker stops. Permanent failure: reported once, the
/// worker stops. Transient failure: reported as retrying, then the worker crashes so that the supervisor starts it
/// (and the job) again after a growing pause. The supervisor stops with its worker, or when the retries are used
/// up: an owner watching it and seeing it stop without a success knows the job gave up.
/// </summary>
public sealed class BackoffWorker : ReceiveActor
{
    private sealed record Completed(object Result);
    private sealed record Crashed(Exception Error);

    /// <summary>Thrown to have the supervisor restart the worker.</summary>
    private sealed class RetryLater(Exception inner) : Exception(inner.Message, inner);

    private readonly CancellationTokenSource _stopping = new();

    public BackoffWorker(Func<CancellationToken, Task<object>> job, Func<Exception, bool> isTransient, BackoffReports reports, IActorRef owner)
    {
        Receive<Completed>(done =>
        {
            owner.Tell(reports.Succeeded(done.Result));
            Context.Stop(Self);
        });
        Receive<Crashed>(crashed =>
        {
            var transient = isTransient(crashed.Error);
            owner.Tell(reports.AttemptFailed(crashed.Error, transient));
            if (transient) throw new RetryLater(crashed.Error);
            Context.Stop(Self);
        });
        job(_stopping.Token).PipeTo(Self, success: result => new Completed(result), failure: e => new Crashed(Unwrap(e)));
    }

    /// <summary>The worker for <paramref name="job"/> under its backoff supervisor; the owner watches the returned actor.</summary>
    /// <param name="isTransient">Whether an error (unwrapped from a single-exception <see cref="AggregateException"/>) may pass on a retry.</param>
    public static Props Supervised(Func<CancellationToken, Task<object>> job, Func<Exception, bool> isTransient, BackoffReports reports, IActorRef owner,
        BackoffPolicy policy) =>
        BackoffSupervisor.Props(Backoff.OnFailure(
            Props.Create(() => new BackoffWorker(job, isTransient, reports, owner)), "worker",
            policy.MinBackoff, policy.MaxBackoff, randomFactor: 0.2, maxNrOfRetries: policy.MaxRetries));

    /// <summary>A stopped worker cancels its job: a restart starts the job anew, and a stopped owner leaves nothing running.</summary>
    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private static Exception Unwrap(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerException! : e;
}
