using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Persistence;
using FleetOrchestrator.Infrastructure.Persistence;
using FleetOrchestrator.Protocol.Decisions;

namespace FleetOrchestrator.ControlPlane.Revocations;

/// <summary>
/// The cluster's deny list (a singleton beside the twins, persistence id <c>device-deny-list</c>): every change is
/// persisted, then published to the gateways, then answered, so an operator's revoke is answered only once the list
/// that a gateway starting later loads holds it. The twins stay the record of who was revoked, why and when.
/// </summary>
public sealed class DenyListActor : SnapshottingPersistentActor
{
    private readonly TimeProvider _time;
    private DenyList _list = DenyList.Empty;

    public DenyListActor(int snapshotEvery, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        Recover<SnapshotOffer>(offer => _list = (DenyList)offer.Snapshot);
        Recover<DenyListChanged>(change => _list = _list.Apply(change));
        Command<DenyDevice>(deny =>
        {
            var decision = _list.Decide(deny, _time.GetUtcNow());
            var replyTo = Sender;
            if (decision.Refusal is { } refusal) replyTo.Tell(new Refused(deny.DeviceId, refusal));
            else if (decision.Single is not { } change) replyTo.Tell(new DeviceDenied(deny.DeviceId, _list.Revision));
            else Persist(change, persisted =>
            {
                _list = _list.Apply(persisted);
                if (LastSequenceNr % snapshotEvery == 0) SaveSnapshot(_list);
                DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(RevocationTopics.DenyList, persisted));
                replyTo.Tell(new DeviceDenied(deny.DeviceId, _list.Revision));
            });
        });
        Command<GetDenyList>(_ => Sender.Tell(_list));
        KeepOnlyLatestSnapshot("deny list");
    }

    public override string PersistenceId => "device-deny-list";

    public static Props PropsFor(int snapshotEvery, TimeProvider? time = null) => Props.Create(() => new DenyListActor(snapshotEvery, time));
}
