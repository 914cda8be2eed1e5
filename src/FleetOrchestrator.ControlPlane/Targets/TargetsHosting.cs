using Akka.Cluster.Hosting;
using Akka.Hosting;

namespace FleetOrchestrator.ControlPlane.Targets;

public static class TargetsHosting
{
    /// <summary>Cluster role that hosts the target registry singleton.</summary>
    public const string Role = "registry";

    /// <summary>
    /// The <see cref="TargetRegistryActor"/> singleton on nodes of role <see cref="Role"/>, and a proxy to it on
    /// every node, registered in the <see cref="ActorRegistry"/> under <see cref="TargetRegistryActor"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithTargetRegistry(this AkkaConfigurationBuilder builder, TargetRegistrySettings settings) =>
        builder.WithSingleton<TargetRegistryActor>("target-registry", TargetRegistryActor.PropsFor(settings),
            new ClusterSingletonOptions { Role = Role }, createProxyToo: true);

    /// <summary>Only the proxy, on nodes without the <see cref="Role"/> role.</summary>
    public static AkkaConfigurationBuilder WithTargetRegistryProxy(this AkkaConfigurationBuilder builder) =>
        builder.WithSingletonProxy<TargetRegistryActor>("target-registry", new ClusterSingletonOptions { Role = Role });
}
