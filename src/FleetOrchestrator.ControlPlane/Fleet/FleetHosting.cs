using Akka.Cluster.Hosting;
using Akka.Pattern;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;

namespace FleetOrchestrator.ControlPlane.Fleet;

public static class FleetHosting
{
    /// <summary>
    /// The <see cref="FleetProjectionActor"/> singleton on nodes of the device twin role, a proxy to it on
    /// every node, registered in the <see cref="ActorRegistry"/> under <see cref="FleetProjectionActor"/>.
    /// Under a backoff supervisor that starts it again when it stopped: on a loaded node the read journal's
    /// start-up can time out, and a projection that failed to start stayed stopped (the fleet table never filled).
    /// </summary>
    public static AkkaConfigurationBuilder WithFleetProjection(this AkkaConfigurationBuilder builder, FleetTable table, FleetProjectionSettings settings) =>
        builder.WithSingleton<FleetProjectionActor>("fleet-projection",
            BackoffSupervisor.Props(Backoff.OnStop(FleetProjectionActor.PropsFor(table, settings), "fleet-projection", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2, maxNrOfRetries: -1)),
            new ClusterSingletonOptions { Role = DevicesHosting.Role }, createProxyToo: true);

    public static AkkaConfigurationBuilder WithFleetProjectionProxy(this AkkaConfigurationBuilder builder) =>
        builder.WithSingletonProxy<FleetProjectionActor>("fleet-projection", new ClusterSingletonOptions { Role = DevicesHosting.Role });
}
