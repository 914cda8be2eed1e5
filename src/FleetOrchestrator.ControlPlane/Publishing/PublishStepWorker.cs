using Akka.Actor;
using Akka.Pattern;
using FleetOrchestrator.Publishing;

namespace FleetOrchestrator.ControlPlane.Publishing;

/// <summary>A step of a publish finished; <see cref="Result"/> is what the stage returned.</summary>
internal sealed record StepSucceeded(string Step, object Result);

/// <summary>A step failed for good (bad input, a broken Dockerfile, an integrity error): the publish fails.</summary>
internal sealed record StepFailed(string Step, string Reason);

/// <summary>A step failed in a way that may pass (registry or engine unreachable): it is retried after a backoff.</summary>
internal sealed record StepRetrying(string Step, string Reason);

/// <summary>
/// Runs one stage of a publish (a container build, an app bundle or push, the image resolution) off the actor
/// thread and reports to the job. A transient failure crashes the worker so that its <see cref="BackoffSupervisor"/>
/// starts it again after a growing pause; a permanent one is reported and the worker stops.
/// </summary>
internal sealed class PublishStepWorker : ReceiveActor
{
    private sealed record Completed(object Result);
    private sealed record Crashed(Exception Error);

    private readonly CancellationTokenSource _stopping = new();

    public PublishStepWorker(string step, Func<CancellationToken, Task<object>> run, IActorRef job)
    {
        Receive<Completed>(done =>
        {
            job.Tell(new StepSucceeded(step, done.Result));
            Context.Stop(Self);
        });
        Receive<Crashed>(crashed =>
        {
            var reason = Describe(crashed.Error);
            if (!PublishPipeline.IsTransient(crashed.Error))
            {
                job.Tell(new StepFailed(step, reason));
                Context.Stop(Self);
                return;
            }
            job.Tell(new StepRetrying(step, reason));
            throw new TransientStepException(step, reason, crashed.Error);
        });
        run(_stopping.Token).PipeTo(Self, success: result => new Completed(result), failure: e => new Crashed(e));
    }

    /// <summary>A worker for <paramref name="step"/> under a backoff supervisor: restarted on transient failures up to <paramref name="settings"/>' limit.</summary>
    public static Props Supervised(string step, Func<CancellationToken, Task<object>> run, IActorRef job, PublisherSettings settings) =>
        BackoffSupervisor.Props(Backoff.OnFailure(
            Props.Create(() => new PublishStepWorker(step, run, job)), "worker",
            settings.RetryMinBackoff, settings.RetryMaxBackoff, randomFactor: 0.2, maxNrOfRetries: settings.MaxRetries));

    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    internal static string Describe(Exception e) => (e is AggregateException { InnerException: { } inner } ? inner : e).Message;

    private sealed class TransientStepException(string step, string reason, Exception inner) : Exception($"{step}: {reason}", inner);
}
