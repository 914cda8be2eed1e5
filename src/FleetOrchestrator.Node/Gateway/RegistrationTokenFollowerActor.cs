using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using FleetOrchestrator.ControlPlane.Registration;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>
/// Keeps this gateway's <see cref="RegistrationTokens"/> the cluster's: offers the node's token to the singleton at start
/// (adopted when the cluster has none; answered with the cluster's either way, retried until answered), then follows
/// every rotation published on <see cref="RegistrationTokenDecisions.Topic"/>.
/// </summary>
public sealed class RegistrationTokenFollowerActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(5);
    private sealed record Offer;

    private readonly ILoggingAdapter _log = Context.GetLogger();

    public RegistrationTokenFollowerActor(RegistrationTokens tokens, IActorRef singleton)
    {
        Receive<SubscribeAck>(_ => { });
        Receive<Offer>(_ => singleton.Ask<RegistrationTokenHash>(new SeedRegistrationToken(tokens.Sha256), Retry).PipeTo(Self));
        ReceiveAsync<RegistrationTokenHash>(async hash =>
        {
            if (hash.Sha256 != tokens.Sha256) _log.Info("registration token changed (set {0:u}): the previous one is refused from now on", hash.SetAt);
            await tokens.SetAsync(hash.Sha256);
        });
        Receive<Status.Failure>(failure =>
        {
            _log.Warning("the registration token singleton did not answer ({0}); asking again in {1}", failure.Cause.Message, Retry);
            Timers.StartSingleTimer(nameof(Offer), new Offer(), Retry);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(RegistrationTokenDecisions.Topic, Self));
        Self.Tell(new Offer());
    }
}
