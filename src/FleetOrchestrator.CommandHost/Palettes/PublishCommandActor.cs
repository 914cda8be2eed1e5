using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Publishing;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>
/// One <c>apps publish</c>: subscribes to the publishing progress topic first (so no step is missed), then asks
/// the publisher, streams the progress of this repository's publish and ends with the target or the failure.
/// </summary>
public sealed class PublishCommandActor : ReceiveActor
{
    private readonly PublishTarget _request;
    private readonly IActorRef _publisher;
    private readonly CommandOutput _output;
    private readonly IActorRef _mediator = DistributedPubSub.Get(Context.System).Mediator;

    public PublishCommandActor(PublishTarget request, IActorRef publisher, CommandOutput output, TimeSpan timeout)
    {
        _request = request;
        _publisher = publisher;
        _output = output;
        Context.SetReceiveTimeout(timeout);
        Receive<SubscribeAck>(_ =>
        {
            _output.Line($"publishing {request.Repository} at {request.Ref} for tag {request.Tag}");
            _publisher.Tell(_request);
        });
        Receive<PublishProgressed>(p => p.Repository == _request.Repository, p => _output.Progress($"{p.Stage} {p.Subject}".Trim(), p.Message));
        Receive<PublishProgressed>(_ => { });
        Receive<TargetPublished>(published =>
        {
            _output.Line($"published target {published.Name} (tag {published.Tag}, targets version {published.TargetsVersion}, commit {published.CommitSha})");
            _output.Value(published);
            Finish(EndFrame.Ok);
        });
        Receive<ControlPlane.Publishing.PublishFailed>(failed => Finish(new EndFrame(ExitCodes.Failed, "publish-failed", failed.Reason)));
        Receive<ReceiveTimeout>(_ => Finish(new EndFrame(ExitCodes.Failed, ErrorCodes.Timeout, $"no progress for {timeout} (the publish may still be running)")));
    }

    public static Props PropsFor(PublishTarget request, IActorRef publisher, CommandOutput output, TimeSpan timeout) =>
        Props.Create(() => new PublishCommandActor(request, publisher, output, timeout));

    protected override void PreStart() => _mediator.Tell(new Subscribe(PublishingTopics.Progress, Self));

    protected override void PostStop() => _mediator.Tell(new Unsubscribe(PublishingTopics.Progress, Self));

    private void Finish(EndFrame end)
    {
        _output.End(end);
        Context.Stop(Self);
    }
}
