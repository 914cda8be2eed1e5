using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Groups;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Waves;
using FleetOrchestrator.Protocol.Serialization;

namespace FleetOrchestrator.ControlPlane.Hosting;

/// <summary>How one control-plane node joins the cluster and what it hosts.</summary>
/// <param name="Hostname">Address remoting binds to and advertises (loopback in embedded mode).</param>
/// <param name="Port">Remoting port; 0 picks a free one (tests).</param>
/// <param name="Seeds">Seed node addresses (<c>akka.tcp://fleet@host:port</c>); none = this node forms its own cluster (embedded mode).</param>
/// <param name="Roles">Cluster roles of this node; embedded mode runs all of them.</param>
/// <param name="PublicHostname">Address other nodes reach this one at, when it differs from the bound <paramref name="Hostname"/> (containers bind 0.0.0.0).</param>
public sealed record ControlPlaneSettings(
    string Hostname,
    int Port,
    IReadOnlyList<string> Seeds,
    IReadOnlyList<string> Roles,
    PersistenceSettings Persistence,
    TargetRegistrySettings TargetRegistry,
    PublisherSettings Publisher,
    DeviceTwinSettings DeviceTwins,
    string? Hocon = null,
    FleetProjectionSettings? FleetProjection = null,
    string? PublicHostname = null,
    WavesSettings? Waves = null,
    DeviceGroupsSettings? Groups = null)
{
    public const string SystemName = "fleet";
    public static IReadOnlyList<string> AllRoles { get; } = [TargetsHosting.Role, PublishingHosting.Role, DevicesHosting.Role, "gateway"];
}

/// <summary>Device twins: shard count (fixed for the life of the cluster), idle passivation, snapshots, last-seen resolution.</summary>
/// <param name="SnapshotEvery">A twin saves a snapshot after this many events.</param>
/// <param name="SeenResolution">A check-in is persisted only when last seen moved by this much since the last persisted contact.</param>
public sealed record DeviceTwinSettings(int Shards = 100, TimeSpan? IdleAfter = null, TimeProvider? Time = null, int SnapshotEvery = 50, TimeSpan? SeenResolution = null)
{
    public TimeSpan PassivateIdleAfter => IdleAfter ?? TimeSpan.FromMinutes(2);
    public TimeSpan LastSeenResolution => SeenResolution ?? TimeSpan.FromMinutes(15);
}

public static class ControlPlaneHosting
{
    /// <summary>Remoting, clustering, the fleet serializer, SQL persistence, pub/sub and the actors of this node's roles.</summary>
    public static AkkaConfigurationBuilder WithFleetControlPlane(this AkkaConfigurationBuilder builder, ControlPlaneSettings settings)
    {
        if (settings.Hocon is { } hocon) builder.AddHocon(hocon, HoconAddMode.Prepend);
        builder
            .WithRemoting(new RemoteOptions { HostName = settings.Hostname, Port = settings.Port, PublicHostName = settings.PublicHostname })
            .WithClustering(new ClusterOptions { Roles = settings.Roles.ToArray(), SeedNodes = settings.Seeds.ToArray() })
            .WithFleetSerializer(ControlPlaneMessages.Table)
            .WithFleetPersistence(settings.Persistence)
            // No role: the mediator runs on every node, so every gateway receives the metadata topic.
            .WithDistributedPubSub(role: null!);
        if (settings.Roles.Contains(TargetsHosting.Role)) builder.WithTargetRegistry(settings.TargetRegistry);
        else builder.WithTargetRegistryProxy();
        if (settings.Roles.Contains(PublishingHosting.Role)) builder.WithPublisher(settings.Publisher);
        if (settings.Roles.Contains(DevicesHosting.Role))
        {
            builder.WithDeviceTwins(settings.DeviceTwins);
            builder.WithFleetProjection(new FleetTable(settings.Persistence), settings.FleetProjection ?? new FleetProjectionSettings());
            builder.WithDeviceGroups(new FleetTable(settings.Persistence), settings.Groups ?? new DeviceGroupsSettings());
        }
        else builder.WithDeviceTwinsProxy(settings.DeviceTwins.Shards).WithFleetProjectionProxy().WithDeviceGroupsProxy();
        // After the registry and the twins: the waves singleton resolves both when it starts.
        if (settings.Roles.Contains(TargetsHosting.Role)) builder.WithWaves(new FleetTable(settings.Persistence), settings.Waves ?? new WavesSettings());
        else builder.WithWavesProxy();
        if (settings.Seeds.Count == 0)
            builder.AddStartup((system, _) => Cluster.Get(system).Join(Cluster.Get(system).SelfAddress));
        return builder;
    }
}
