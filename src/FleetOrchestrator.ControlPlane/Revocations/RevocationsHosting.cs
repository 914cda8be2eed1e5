using Akka.Cluster.Hosting;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;

namespace FleetOrchestrator.ControlPlane.Revocations;

public static class RevocationsHosting
{
    /// <summary>The <see cref="DenyListActor"/> singleton beside the twins (role <see cref="DevicesHosting.Role"/>), and a proxy to it on this node.</summary>
    /// <param name="snapshotEvery">Changes between snapshots (the groups singleton's setting: both change as rarely).</param>
    public static AkkaConfigurationBuilder WithDenyList(this AkkaConfigurationBuilder builder, int snapshotEvery) =>
        builder.WithSingleton<DenyListActor>("device-deny-list", DenyListActor.PropsFor(snapshotEvery),
            new ClusterSingletonOptions { Role = DevicesHosting.Role }, createProxyToo: true);

    /// <summary>Only the proxy, on nodes without the <see cref="DevicesHosting.Role"/> role (a gateway-only node loads the list through it).</summary>
    public static AkkaConfigurationBuilder WithDenyListProxy(this AkkaConfigurationBuilder builder) =>
        builder.WithSingletonProxy<DenyListActor>("device-deny-list", new ClusterSingletonOptions { Role = DevicesHosting.Role });
}
