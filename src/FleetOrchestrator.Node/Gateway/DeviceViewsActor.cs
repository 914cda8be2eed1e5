using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>The view of each device whose view changed while the gateway runs (a wave took it in or gave it back).</summary>
public sealed class DeviceViews
{
    private readonly ConcurrentDictionary<string, string> _changed = new(StringComparer.Ordinal);

    /// <summary>The view to serve: the latest change heard of, else what the twin said when the device was first seen.</summary>
    public string Of(GatewayDevice device) => _changed.TryGetValue(device.Name, out var view) ? view : device.View;

    public void Changed(DeviceViewChanged change) => _changed[change.DeviceId] = change.View ?? TufRepository.ProductionView;
}

/// <summary>Keeps <see cref="DeviceViews"/> current from the twins' <see cref="DeviceTopics.Views"/> topic.</summary>
public sealed class DeviceViewsActor : ReceiveActor
{
    public DeviceViewsActor(DeviceViews views)
    {
        Receive<SubscribeAck>(_ => { });
        Receive<DeviceViewChanged>(views.Changed);
    }

    protected override void PreStart() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(DeviceTopics.Views, Self));
}
