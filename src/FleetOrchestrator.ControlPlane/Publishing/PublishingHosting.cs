using Akka.Cluster.Hosting;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Targets;

namespace FleetOrchestrator.ControlPlane.Publishing;

public static class PublishingHosting
{
    /// <summary>Cluster role of nodes that run publishes (they need the Docker engine and git).</summary>
    public const string Role = "publisher";

    /// <summary>How long the branch watcher waits for one publish (builds included) before counting it failed.</summary>
    private static readonly TimeSpan WatchedPublishTimeout = TimeSpan.FromHours(1);

    /// <summary>
    /// The <see cref="PublisherActor"/> of this node, registered in the <see cref="ActorRegistry"/>, and when a
    /// branch is to be watched, the <see cref="BranchWatcherActor"/> singleton on the publisher role (one watcher in the cluster).
    /// </summary>
    public static AkkaConfigurationBuilder WithPublisher(this AkkaConfigurationBuilder builder, PublisherSettings settings)
    {
        builder.WithActors((system, registry) =>
            registry.Register<PublisherActor>(system.ActorOf(PublisherActor.PropsFor(settings, registry.Get<TargetRegistryActor>()), "publisher")));
        if (settings.Watch is { } watch)
            builder.WithSingleton<BranchWatcherActor>("branch-watcher",
                (_, registry, _) => BranchWatcherActor.PropsFor(watch, registry.Get<PublisherActor>(), WatchedPublishTimeout),
                new ClusterSingletonOptions { Role = Role }, createProxyToo: true);
        return builder;
    }
}
