using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Groups;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Waves;
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
            Int(hocon, "fleet.devices.shards"),
            Duration(hocon, "akka.cluster.sharding.passivate-idle-entity-after"),
            Int(hocon, "fleet.devices.snapshot-every"),
            Duration(hocon, "fleet.devices.last-seen-resolution"));
        return new NodeSettings(
            new TargetRegistrySettings(factory.Factory, root, signers,
                new RepositoryOptions { TimestampLifetime = Duration(hocon, "fleet.targets.timestamp-lifetime") },
                Duration(hocon, "fleet.targets.refresh-check-interval"), Int(hocon, "fleet.targets.snapshot-every"), KeyStore: keyStore),
            new PublisherSettings(factory.Factory, factory.Registry, factory.PlainHttp, factory.Mirrors ?? new Dictionary<string, string>(),
                Duration(hocon, "fleet.publishing.record-timeout"), Duration(hocon, "fleet.publishing.retry-backoff"), Int(hocon, "fleet.publishing.max-retries"),
                Watch(hocon)),
            twins,
            new FleetProjectionSettings(Int(hocon, "fleet.fleet-table.batch-size"), Duration(hocon, "fleet.fleet-table.batch-window")),
            new DeviceGroupsSettings(Int(hocon, "fleet.groups.snapshot-every"), Duration(hocon, "fleet.groups.twin-timeout")),
            new WavesSettings(Duration(hocon, "fleet.waves.evaluate-every"), Int(hocon, "fleet.waves.snapshot-every"), Duration(hocon, "fleet.waves.registry-timeout"),
                Int(hocon, "fleet.waves.assigning-window"), Duration(hocon, "fleet.waves.answer-timeout")),
            new GatewaySettings(Required(hocon, "fleet.gateway.device-requests-per-second", p => hocon.GetDouble(p)),
                Int(hocon, "fleet.gateway.device-request-burst"), twins.LastSeenResolution));
    }

    /// <summary>The branch to publish on every new commit; null when <c>fleet.publishing.watch.repository</c> is empty (off).</summary>
    private static BranchWatchSettings? Watch(AkkaConfig hocon)
    {
        var repository = Required(hocon, "fleet.publishing.watch.repository", path => hocon.GetString(path));
        return repository.Length == 0 ? null : new BranchWatchSettings(repository,
            Required(hocon, "fleet.publishing.watch.branch", path => hocon.GetString(path)),
            Required(hocon, "fleet.publishing.watch.tag", path => hocon.GetString(path)),
            Required(hocon, "fleet.publishing.watch.hardware-ids", path => hocon.GetStringList(path)).ToList(),
            Duration(hocon, "fleet.publishing.watch.interval"));
    }

    private static int Int(AkkaConfig hocon, string path) => Required(hocon, path, p => hocon.GetInt(p));

    private static TimeSpan Duration(AkkaConfig hocon, string path) => Required(hocon, path, p => hocon.GetTimeSpan(p));

    private static T Required<T>(AkkaConfig hocon, string path, Func<string, T> read) =>
        hocon.HasPath(path) ? read(path) : throw new NodeSettingsException($"{path} is missing from the node's HOCON (hocon/*.conf, or the folder --hocon names)");
}

/// <summary>A setting the node cannot start without is missing or wrong.</summary>
public sealed class NodeSettingsException(string message) : Exception(message);
