using Akka.Actor;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Publishing;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>
/// One <c>apps publish</c>: asks the publisher for the publish with its progress, streams the steps the publisher
/// tells this actor (of this publish only) and ends with the target or the failure.
/// </summary>
public sealed class PublishCommandActor : ReceiveActor
{
    private readonly PublishTarget _request;
    private readonly IActorRef _publisher;
    private readonly CommandOutput _output;

    public PublishCommandActor(PublishTarget request, IActorRef publisher, CommandOutput output, TimeSpan timeout)
    {
        _request = request;
        _publisher = publisher;
        _output = output;
        Context.SetReceiveTimeout(timeout);
        Receive<PublishProgressed>(p => _output.Progress($"{p.Stage} {p.Subject}".Trim(), p.Message));
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

    protected override void PreStart()
    {
        _output.Line($"publishing {_request.Repository} at {_request.Ref} for tag {_request.Tag}");
        _publisher.Tell(_request);
    }

    private void Finish(EndFrame end)
    {
        _output.End(end);
        Context.Stop(Self);
    }
}
