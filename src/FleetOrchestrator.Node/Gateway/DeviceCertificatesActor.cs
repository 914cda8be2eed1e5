using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using FleetOrchestrator.ControlPlane.Devices;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>Keeps <see cref="DeviceDirectory"/> current from the twins' <see cref="DeviceCertificates.Topic"/>.</summary>
public sealed class DeviceCertificatesActor : ReceiveActor
{
    public DeviceCertificatesActor(DeviceDirectory directory)
    {
        Receive<SubscribeAck>(_ => { });
        Receive<DeviceCertificateChanged>(directory.Changed);
    }

    protected override void PreStart() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(DeviceCertificates.Topic, Self));
}
