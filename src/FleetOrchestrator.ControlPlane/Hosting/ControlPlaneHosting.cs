using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Actor;
using Akka.Discovery;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Groups;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Revocations;
using FleetOrchestrator.ControlPlane.Registration;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Waves;
using FleetOrchestrator.Infrastructure.Serialization;

namespace FleetOrchestrator.ControlPlane.Hosting;

/// <summary>How one control-plane node joins the cluster and what it hosts, with the settings of each feature it may run.</summary>
/// <param name="Hostname">Address remoting binds to and advertises (loopback in embedded mode).</param>
/// <param name="Port">Remoting port; 0 picks a free one (tests).</param>
/// <param name="Seeds">Seed node addresses (<c>akka.ssl.tcp://fleet@host:port</c>); none = this node forms its own cluster (embedded mode).</param>
/// <param name="Roles">Cluster roles of this node; embedded mode runs all of them.</param>
/// <param name="Hocon">The node's HOCON (hocon/*.conf), put before what the features add.</param>
/// <param name="PublicHostname">Address other nodes reach this one at, when it differs from the bound <paramref name="Hostname"/> (containers bind 0.0.0.0).</param>
/// <param name="Discovery">Find the seed nodes with Akka.Discovery instead of listing them in <paramref name="Seeds"/>.</param>
public sealed record ControlPlaneSettings(
    string Hostname,
    int Port,
    IReadOnlyList<string> Seeds,
    IReadOnlyList<string> Roles,
    PersistenceSettings Persistence,
    TargetRegistrySettings TargetRegistry,
    PublisherSettings Publisher,
    DeviceTwinSettings DeviceTwins,
    FleetProjectionSettings FleetProjection,
    DeviceGroupsSettings Groups,
    WavesSettings Waves,
    string? Hocon = null,
    string? PublicHostname = null,
    ClusterDiscoverySettings? Discovery = null)
{
    public const string SystemName = "fleet";
    public static IReadOnlyList<string> AllRoles { get; } = [TargetsHosting.Role, PublishingHosting.Role, DevicesHosting.Role, "gateway"];
}

/// <summary>
/// Seed nodes found by Akka.Discovery rather than listed: the node looks up <see cref="ServiceName"/> with the
/// configured discovery method (<c>akka.discovery.method</c>; by default <c>config</c>, which answers
/// <see cref="Endpoints"/>) and joins the remoting addresses found, in one sorted order so every node names the same
/// first seed — the one that forms the cluster when none is up. Akka.Management's Cluster Bootstrap would probe HTTP
/// contact points instead, but its HTTP endpoint cannot start with the packages available here (see docs/deployment.md).
/// </summary>
/// <param name="Endpoints">Remoting endpoints (<c>host:port</c>) of the nodes, for the <c>config</c> method.</param>
public sealed record ClusterDiscoverySettings(IReadOnlyList<string> Endpoints)
{
    public const string ServiceName = "fleet-control-plane";

    /// <summary>What is wrong with these settings, or null.</summary>
    public string? Problem =>
        Endpoints.Count == 0 ? "discovery needs at least one endpoint"
        : Endpoints.FirstOrDefault(e => HostAndPort(e) is null) is { } bad ? $"discovery endpoint \"{bad}\" is not <host>:<port>"
        : null;

    /// <summary>Akka.Discovery's <c>config</c> method answering <see cref="Endpoints"/> for <see cref="ServiceName"/> (a fallback: operators' HOCON may pick another method).</summary>
    public string Hocon => $$"""
        akka.discovery {
          method = config
          config.services.{{ServiceName}}.endpoints = [{{string.Join(", ", Endpoints.Select(e => $"\"{e}\""))}}]
        }
        """;

    /// <summary>The seed addresses of what discovery resolved, sorted by host then port; an entry without a port is an error.</summary>
    /// <param name="protocol">This node's own remoting scheme (<c>akka.ssl.tcp</c> with TLS): the seeds speak the same.</param>
    public static IReadOnlyList<Address> SeedsOf(IEnumerable<(string Host, int? Port)> resolved, string systemName, string protocol) =>
        resolved.Select(r => r.Port is { } port ? new Address(protocol, systemName, r.Host, port)
                : throw new InvalidOperationException($"discovery of {ServiceName} answered {r.Host} without a port"))
            .Distinct().OrderBy(a => a.Host, StringComparer.Ordinal).ThenBy(a => a.Port).ToList();

    private static (string Host, int Port)? HostAndPort(string endpoint) =>
        endpoint.LastIndexOf(':') is var colon and > 0 && int.TryParse(endpoint[(colon + 1)..], out var port) && port is > 0 and <= 65535
            ? (endpoint[..colon], port) : null;
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
            builder.WithFleetProjection(new FleetTable(settings.Persistence), settings.FleetProjection);
            builder.WithDeviceGroups(new FleetTable(settings.Persistence), settings.Groups);
            builder.WithDenyList(settings.Groups.SnapshotEvery);
            builder.WithRegistrationToken();
        }
        else builder.WithDeviceTwinsProxy(settings.DeviceTwins.Shards).WithFleetProjectionProxy().WithDeviceGroupsProxy().WithDenyListProxy().WithRegistrationTokenProxy();
        // After the registry and the twins: the waves singleton resolves both when it starts.
        if (settings.Roles.Contains(TargetsHosting.Role)) builder.WithWaves(new FleetTable(settings.Persistence), settings.Waves);
        else builder.WithWavesProxy();
        if (settings.Discovery is { } discovery) builder.WithClusterDiscovery(discovery);
        else if (settings.Seeds.Count == 0)
            builder.AddStartup((system, _) => Cluster.Get(system).Join(Cluster.Get(system).SelfAddress));
        return builder;
    }

    private static void WithClusterDiscovery(this AkkaConfigurationBuilder builder, ClusterDiscoverySettings discovery)
    {
        if (discovery.Problem is { } problem) throw new ArgumentException(problem, nameof(discovery));
        builder.AddHocon(discovery.Hocon, HoconAddMode.Append);
        builder.AddStartup(async (system, _) =>
        {
            var resolved = await Discovery.Get(system).Default.Lookup(new Lookup(ClusterDiscoverySettings.ServiceName), TimeSpan.FromSeconds(30));
            var seeds = ClusterDiscoverySettings.SeedsOf(resolved.Addresses.Select(a => (a.Host, a.Port)), system.Name, Cluster.Get(system).SelfAddress.Protocol);
            system.Log.Info("discovery of {0} found seed nodes [{1}]", ClusterDiscoverySettings.ServiceName, string.Join(", ", seeds));
            Cluster.Get(system).JoinSeedNodes(seeds);
        });
    }
}
