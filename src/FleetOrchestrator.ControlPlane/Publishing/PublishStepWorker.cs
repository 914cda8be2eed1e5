using Akka.Actor;
using FleetOrchestrator.Infrastructure.Workers;
using FleetOrchestrator.Publishing;

namespace FleetOrchestrator.ControlPlane.Publishing;

/// <summary>A step of a publish finished; <see cref="Result"/> is what the stage returned.</summary>
internal sealed record StepSucceeded(string Step, object Result);

/// <summary>A step failed for good (bad input, a broken Dockerfile, an integrity error): the publish fails.</summary>
internal sealed record StepFailed(string Step, string Reason);

/// <summary>A step failed in a way that may pass (registry or engine unreachable): it is retried after a backoff.</summary>
internal sealed record StepRetrying(string Step, string Reason);

/// <summary>
/// Runs one stage of a publish (a container build, an app bundle or push, the image resolution) in a
/// <see cref="BackoffWorker"/> and reports to the job in its step messages: transient failures
/// (<see cref="PublishPipeline.IsTransient"/>) are retried after a growing pause, a permanent one fails the step.
/// </summary>
internal static class PublishStepWorker
{
    /// <summary>A worker for <paramref name="step"/> under a backoff supervisor: restarted on transient failures up to <paramref name="settings"/>' limit.</summary>
    public static Props Supervised(string step, Func<CancellationToken, Task<object>> run, IActorRef job, PublisherSettings settings) =>
        BackoffWorker.Supervised(run, PublishPipeline.IsTransient,
            new BackoffReports(result => new StepSucceeded(step, result),
                (error, retrying) => retrying ? new StepRetrying(step, Describe(error)) : new StepFailed(step, Describe(error))),
            job, new BackoffPolicy(settings.RetryMinBackoff, settings.RetryMaxBackoff, settings.MaxRetries));

    internal static string Describe(Exception e) => (e is AggregateException { InnerException: { } inner } ? inner : e).Message;
}
