using Akka.Actor;
using FleetOrchestrator.ControlPlane.Targets;

namespace FleetOrchestrator.ControlPlane.Publishing;

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
