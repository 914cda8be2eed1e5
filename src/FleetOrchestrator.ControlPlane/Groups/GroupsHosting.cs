using Akka.Cluster.Hosting;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;

namespace FleetOrchestrator.ControlPlane.Groups;

public static class GroupsHosting
{
    /// <summary>The <see cref="DeviceGroupsActor"/> singleton beside the twins (role <see cref="DevicesHosting.Role"/>), and a proxy to it on every node.</summary>
    public static AkkaConfigurationBuilder WithDeviceGroups(this AkkaConfigurationBuilder builder, FleetTable fleet, DeviceGroupsSettings settings) =>
        builder.WithSingleton<DeviceGroupsActor>("device-groups",
            (_, registry, _) => DeviceGroupsActor.PropsFor(fleet, registry.Get<DeviceTwinActor>(), settings),
            new ClusterSingletonOptions { Role = DevicesHosting.Role }, createProxyToo: true);

    public static AkkaConfigurationBuilder WithDeviceGroupsProxy(this AkkaConfigurationBuilder builder) =>
        builder.WithSingletonProxy<DeviceGroupsActor>("device-groups", new ClusterSingletonOptions { Role = DevicesHosting.Role });
}
