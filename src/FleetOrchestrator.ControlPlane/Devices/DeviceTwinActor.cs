using Akka.Actor;
using Akka.Persistence;

namespace FleetOrchestrator.ControlPlane.Devices;

/// <summary>
/// One device's twin under Cluster Sharding: persistent registration, last seen in memory. Sharding
/// passivates it when idle; it recovers from the journal on its next message.
/// </summary>
public sealed class DeviceTwinActor : ReceivePersistentActor
{
    private DeviceTwinState _state;

    public DeviceTwinActor(string deviceId, TimeProvider time)
    {
        _state = DeviceTwinState.Empty(deviceId);
        PersistenceId = $"device-{deviceId}";

        Recover<DeviceWasRegistered>(e => _state = _state.Apply(e));

        Command<RegisterDevice>(command =>
        {
            var (registered, refusal) = _state.Decide(command, time.GetUtcNow());
            if (registered is null)
            {
                Sender.Tell(new DeviceRegistrationRefused(command.DeviceId, refusal!));
                return;
            }
            Persist(registered, e =>
            {
                _state = _state.Apply(e);
                Sender.Tell(new DeviceRegistered(e.DeviceId));
            });
        });
        Command<DeviceSeen>(seen => _state = _state.Seen(seen.At));
        Command<GetDevice>(_ => Sender.Tell(_state.View()));
    }

    public override string PersistenceId { get; }

    public static Props PropsFor(string deviceId, TimeProvider time) => Props.Create(() => new DeviceTwinActor(deviceId, time));
}
