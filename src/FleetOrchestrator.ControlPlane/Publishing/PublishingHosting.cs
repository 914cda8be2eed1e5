using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Targets;

namespace FleetOrchestrator.ControlPlane.Publishing;

public static class PublishingHosting
{
    /// <summary>Cluster role of nodes that run publishes (they need the Docker engine and git).</summary>
    public const string Role = "publisher";

    /// <summary>The <see cref="PublisherActor"/> of this node, registered in the <see cref="ActorRegistry"/>.</summary>
    public static AkkaConfigurationBuilder WithPublisher(this AkkaConfigurationBuilder builder, PublisherSettings settings) =>
        builder.WithActors((system, registry) =>
            registry.Register<PublisherActor>(system.ActorOf(PublisherActor.PropsFor(settings, registry.Get<TargetRegistryActor>()), "publisher")));
}
