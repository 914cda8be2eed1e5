using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>
/// What to serve each device whose view (a wave took it in or gave it back) or config (an operator changed its group,
/// tag or apps) changed while the gateway runs.
/// </summary>
public sealed class DeviceViews
{
    private readonly ConcurrentDictionary<string, DeviceViewChanged> _changed = new(StringComparer.Ordinal);

    /// <summary>
    /// The view, the operator's config (null: none) and the tag to serve — the latest change heard of, else what the twin
    /// said when the device was first seen. The tag is the config's, else the registration's.
    /// </summary>
    public (string View, DeviceConfig? Config, string Tag) Of(GatewayDevice device)
    {
        var (view, config) = _changed.TryGetValue(device.Name, out var change) ? (change.View ?? TufRepository.ProductionView, change.Config) : (device.View, device.Config);
        return (view, config, config?.Tag ?? device.Registration.Tag);
    }

    public void Changed(DeviceViewChanged change) => _changed[change.DeviceId] = change;
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
