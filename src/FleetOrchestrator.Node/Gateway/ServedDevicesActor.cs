using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using FleetOrchestrator.ControlPlane.Devices;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>Keeps <see cref="ServedDevices"/> current from the twins' <see cref="DeviceTopics.Views"/> topic.</summary>
public sealed class ServedDevicesActor : ReceiveActor
{
    public ServedDevicesActor(ServedDevices served)
    {
        Receive<SubscribeAck>(_ => { });
        Receive<DeviceViewChanged>(served.Changed);
    }

    protected override void PreStart() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(DeviceTopics.Views, Self));
}
