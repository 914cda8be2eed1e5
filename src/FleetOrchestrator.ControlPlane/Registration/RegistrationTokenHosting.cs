using Akka.Cluster.Hosting;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;

namespace FleetOrchestrator.ControlPlane.Registration;

public static class RegistrationTokenHosting
{
    /// <summary>The <see cref="RegistrationTokenActor"/> singleton beside the twins (role <see cref="DevicesHosting.Role"/>), and a proxy to it on every node.</summary>
    public static AkkaConfigurationBuilder WithRegistrationToken(this AkkaConfigurationBuilder builder) =>
        builder.WithSingleton<RegistrationTokenActor>("registration-token", (_, _, _) => RegistrationTokenActor.PropsFor(TimeProvider.System),
            new ClusterSingletonOptions { Role = DevicesHosting.Role }, createProxyToo: true);

    public static AkkaConfigurationBuilder WithRegistrationTokenProxy(this AkkaConfigurationBuilder builder) =>
        builder.WithSingletonProxy<RegistrationTokenActor>("registration-token", new ClusterSingletonOptions { Role = DevicesHosting.Role });
}
