using Akka.Cluster.Hosting;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;

namespace FleetOrchestrator.ControlPlane.Fleet;

public static class FleetHosting
{
    /// <summary>
    /// The <see cref="FleetProjectionActor"/> singleton on nodes of the device twin role, a proxy to it on
    /// every node, registered in the <see cref="ActorRegistry"/> under <see cref="FleetProjectionActor"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithFleetProjection(this AkkaConfigurationBuilder builder, FleetTable table, FleetProjectionSettings settings) =>
        builder.WithSingleton<FleetProjectionActor>("fleet-projection", FleetProjectionActor.PropsFor(table, settings),
            new ClusterSingletonOptions { Role = DevicesHosting.Role }, createProxyToo: true);

    public static AkkaConfigurationBuilder WithFleetProjectionProxy(this AkkaConfigurationBuilder builder) =>
        builder.WithSingletonProxy<FleetProjectionActor>("fleet-projection", new ClusterSingletonOptions { Role = DevicesHosting.Role });
}
