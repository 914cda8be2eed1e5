using Akka.Actor;
using FleetOrchestrator.ControlPlane.Targets;

namespace FleetOrchestrator.ControlPlane.Publishing;

/// <summary>The factory's registry settings every publish uses, and how stages are retried.</summary>
/// <param name="RetryBackoff">First pause before a step that failed transiently (registry or engine unreachable) runs again; it doubles up to 30× this.</param>
/// <param name="MaxRetries">Restarts of one step before the publish gives up.</param>
/// <param name="Watch">A branch to publish on every new commit; null: publishes happen on request only.</param>
public sealed record PublisherSettings(
    string Factory,
    string Registry,
    bool PlainHttp,
    IReadOnlyDictionary<string, string> Mirrors,
    TimeSpan RecordTimeout,
    TimeSpan? RetryBackoff = null,
    int MaxRetries = 5,
    BranchWatchSettings? Watch = null)
{
    public TimeSpan RetryMinBackoff => RetryBackoff ?? TimeSpan.FromSeconds(2);
    public TimeSpan RetryMaxBackoff => RetryMinBackoff * 30;
}

/// <summary>
/// Runs one publish at a time (the Docker engine and the registry are shared): each request becomes a
/// <see cref="PublishJobActor"/> child that answers the requester itself. Requests arriving meanwhile wait in the stash.
/// </summary>
public sealed class PublisherActor : ReceiveActor, IWithStash
{
    private readonly PublisherSettings _settings;
    private readonly IActorRef _targetRegistry;
    private long _jobs;

    public PublisherActor(PublisherSettings settings, IActorRef targetRegistry)
    {
        _settings = settings;
        _targetRegistry = targetRegistry;
        Idle();
    }

    public IStash Stash { get; set; } = null!;

    public static Props PropsFor(PublisherSettings settings, IActorRef targetRegistry) =>
        Props.Create(() => new PublisherActor(settings, targetRegistry));

    private void Idle()
    {
        Receive<PublishTarget>(request =>
        {
            var job = Context.ActorOf(PublishJobActor.PropsFor(request, Sender, _settings, _targetRegistry), $"job-{++_jobs}");
            Context.Watch(job);
            Become(Busy);
        });
    }

    private void Busy()
    {
        Receive<PublishTarget>(_ => Stash.Stash());
        Receive<Terminated>(_ =>
        {
            Become(Idle);
            Stash.UnstashAll();
        });
    }
}
