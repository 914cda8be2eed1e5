using Akka.Cluster.Hosting;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Targets;

namespace FleetOrchestrator.ControlPlane.Waves;

public static class WavesHosting
{
    /// <summary>The <see cref="WavesActor"/> singleton (under its <see cref="WavesStatusActor"/>) beside the target registry (role <see cref="TargetsHosting.Role"/>), and a proxy to it on every node.</summary>
    public static AkkaConfigurationBuilder WithWaves(this AkkaConfigurationBuilder builder, FleetTable fleet, WavesSettings settings) =>
        builder.WithSingleton<WavesActor>("waves",
            (_, registry, _) => WavesStatusActor.PropsFor(WavesActor.PropsFor(fleet, registry.Get<TargetRegistryActor>(), registry.Get<DeviceTwinActor>(), settings)),
            new ClusterSingletonOptions { Role = TargetsHosting.Role }, createProxyToo: true);

    public static AkkaConfigurationBuilder WithWavesProxy(this AkkaConfigurationBuilder builder) =>
        builder.WithSingletonProxy<WavesActor>("waves", new ClusterSingletonOptions { Role = TargetsHosting.Role });
}
