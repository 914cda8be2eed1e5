using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Persistence;
using FleetOrchestrator.Infrastructure.Persistence;
using FleetOrchestrator.Protocol.Decisions;

namespace FleetOrchestrator.ControlPlane.Registration;

/// <summary>
/// The cluster's registration token (a cluster singleton, persistence id <c>registration-token</c>): seeded by the first
/// node's token, replaced by rotations, each change published to every gateway (<see cref="RegistrationTokenDecisions.Topic"/>).
/// Rotations are rare: no snapshots.
/// </summary>
public sealed class RegistrationTokenActor : SnapshottingPersistentActor
{
    private readonly TimeProvider _time;
    private RegistrationTokenHash? _current;

    public RegistrationTokenActor(TimeProvider time)
    {
        _time = time;
        Recover<RegistrationTokenWasSet>(e => _current = RegistrationTokenDecisions.Apply(e));
        Command<SeedRegistrationToken>(seed => Handle(RegistrationTokenDecisions.Decide(_current, seed, _time.GetUtcNow())));
        Command<RotateRegistrationToken>(rotate => Handle(RegistrationTokenDecisions.Decide(_current, rotate, _time.GetUtcNow())));
    }

    public override string PersistenceId => "registration-token";

    public static Props PropsFor(TimeProvider time) => Props.Create(() => new RegistrationTokenActor(time));

    private void Handle(Decision<RegistrationTokenWasSet> decision)
    {
        var replyTo = Sender;
        if (decision.Refusal is { } refusal)
        {
            replyTo.Tell(new Refused("registration-token", refusal));
            return;
        }
        if (decision.Single is not { } set)
        {
            replyTo.Tell(_current!);
            return;
        }
        Persist(set, persisted =>
        {
            _current = RegistrationTokenDecisions.Apply(persisted);
            DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(RegistrationTokenDecisions.Topic, _current));
            replyTo.Tell(_current);
        });
    }
}
