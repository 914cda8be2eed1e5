using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Groups;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Waves;
using FleetOrchestrator.Infrastructure.Hosting;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.Node.Gateway;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Repository;
using AkkaConfig = Akka.Configuration.Config;

namespace FleetOrchestrator.Node;

/// <summary>
/// The settings of each feature the node runs, bound in one place from the node's HOCON (hocon/*.conf, which the node
/// always loads). Every key is required: its default is written in hocon/ and nowhere else, so a key missing there is
/// an error at start, never a second default here.
/// </summary>
public sealed record NodeSettings(
    TargetRegistrySettings TargetRegistry,
    PublisherSettings Publisher,
    DeviceTwinSettings DeviceTwins,
    FleetProjectionSettings FleetProjection,
    DeviceGroupsSettings Groups,
    WavesSettings Waves,
    GatewaySettings Gateway)
{
    /// <summary>Binds every feature's settings from <paramref name="hocon"/>, with what the factory's files fix (its name, registry, root and keys).</summary>
    public static NodeSettings Bind(AkkaConfig hocon, FactorySettings factory, byte[] root, IReadOnlyList<ISigner> signers, OnlineKeyStore? keyStore)
    {
        var twins = new DeviceTwinSettings(
            hocon.RequiredInt("fleet.devices.shards"),
            hocon.RequiredDuration("akka.cluster.sharding.passivate-idle-entity-after"),
            hocon.RequiredInt("fleet.devices.snapshot-every"),
            hocon.RequiredDuration("fleet.devices.last-seen-resolution"));
        return new NodeSettings(
            new TargetRegistrySettings(factory.Factory, root, signers,
                new RepositoryOptions { TimestampLifetime = hocon.RequiredDuration("fleet.targets.timestamp-lifetime") },
                hocon.RequiredDuration("fleet.targets.refresh-check-interval"), hocon.RequiredInt("fleet.targets.snapshot-every"), KeyStore: keyStore),
            new PublisherSettings(factory.Factory, factory.Registry, factory.PlainHttp, factory.Mirrors ?? new Dictionary<string, string>(),
                hocon.RequiredDuration("fleet.publishing.record-timeout"), hocon.RequiredDuration("fleet.publishing.retry-backoff"), hocon.RequiredInt("fleet.publishing.max-retries"),
                Watch(hocon)),
            twins,
            new FleetProjectionSettings(hocon.RequiredInt("fleet.fleet-table.batch-size"), hocon.RequiredDuration("fleet.fleet-table.batch-window")),
            new DeviceGroupsSettings(hocon.RequiredInt("fleet.groups.snapshot-every"), hocon.RequiredDuration("fleet.groups.twin-timeout")),
            new WavesSettings(hocon.RequiredDuration("fleet.waves.evaluate-every"), hocon.RequiredInt("fleet.waves.snapshot-every"), hocon.RequiredDuration("fleet.waves.registry-timeout"),
                hocon.RequiredInt("fleet.waves.assigning-window"), hocon.RequiredDuration("fleet.waves.answer-timeout")),
            new GatewaySettings(hocon.RequiredDouble("fleet.gateway.device-requests-per-second"),
                hocon.RequiredInt("fleet.gateway.device-request-burst"), twins.LastSeenResolution,
                hocon.RequiredDuration("fleet.gateway.device-certificate-lifetime"), hocon.RequiredDuration("fleet.gateway.device-cache-ttl"),
                new RegistrationLimits(hocon.RequiredDouble("fleet.gateway.registration.per-minute"), hocon.RequiredInt("fleet.gateway.registration.burst"),
                    hocon.RequiredDuration("fleet.gateway.registration.failure-backoff"), hocon.RequiredDuration("fleet.gateway.registration.max-failure-backoff"),
                    hocon.RequiredInt("fleet.gateway.registration.max-addresses")),
                new ConnectionLimits(hocon.RequiredInt("fleet.gateway.connections.max"), hocon.RequiredInt("fleet.gateway.connections.max-per-address"))));
    }

    /// <summary>The branch to publish on every new commit; null when <c>fleet.publishing.watch.repository</c> is empty (off).</summary>
    private static BranchWatchSettings? Watch(AkkaConfig hocon)
    {
        var repository = hocon.RequiredString("fleet.publishing.watch.repository");
        return repository.Length == 0 ? null : new BranchWatchSettings(repository,
            hocon.RequiredString("fleet.publishing.watch.branch"),
            hocon.RequiredString("fleet.publishing.watch.tag"),
            hocon.Required("fleet.publishing.watch.hardware-ids", path => hocon.GetStringList(path)).ToList(),
            hocon.RequiredDuration("fleet.publishing.watch.interval"));
    }

}
