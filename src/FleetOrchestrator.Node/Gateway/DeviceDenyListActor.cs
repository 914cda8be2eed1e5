using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using FleetOrchestrator.ControlPlane.Revocations;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>
/// Feeds the gateway's <see cref="DeviceDenyList"/>: subscribes to the deny-list topic, then loads the whole list from
/// the singleton (retrying until it answers); applies each published change in order, and loads the whole list again on
/// a gap or when a member comes up or back (pub/sub delivers at most once: a change may be lost while a node is away).
/// </summary>
public sealed class DeviceDenyListActor : ReceiveActor, IWithTimers
{
    private sealed record Load
    {
        public static Load Instance { get; } = new();
    }

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public DeviceDenyListActor(DeviceDenyList list, IActorRef singleton)
    {
        Receive<SubscribeAck>(_ => Self.Tell(Load.Instance));
        Receive<Load>(_ => singleton.Ask<DenyList>(GetDenyList.Instance, AskTimeout).PipeTo(Self));
        Receive<DenyList>(whole =>
        {
            if (list.Load(whole)) _log.Info("gateway deny list revision {0}: {1} name(s), {2} certificate(s)", whole.Revision, whole.Names.Count, whole.Fingerprints.Count);
        });
        Receive<DenyListChanged>(change =>
        {
            switch (list.Apply(change))
            {
                case DenyListUpdate.Applied:
                    _log.Info("gateway deny list revision {0}: device {1} denied{2}", change.Revision, change.DeviceId, change.NameReserved ? "" : " (certificate only: name released)");
                    break;
                case DenyListUpdate.Gap:
                    _log.Info("deny list change {0} does not follow revision {1}; loading the whole list", change.Revision, list.Revision);
                    Self.Tell(Load.Instance);
                    break;
            }
        });
        Receive<ClusterEvent.IMemberEvent>(_ => Self.Tell(Load.Instance));
        Receive<ClusterEvent.ReachableMember>(_ => Self.Tell(Load.Instance));
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<Status.Failure>(failure =>
        {
            _log.Warning("the deny list singleton did not answer ({0}); asking again", failure.Cause.Message);
            Timers.StartSingleTimer("retry", Load.Instance, TimeSpan.FromSeconds(1));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(RevocationTopics.DenyList, Self));
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.ReachableMember));
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
}
