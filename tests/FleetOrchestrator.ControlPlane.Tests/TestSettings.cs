using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Groups;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Waves;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests;

/// <summary>Feature settings with the values these tests run with, written out: the node binds its own from hocon/ (NodeSettings).</summary>
public static class TestSettings
{
    public static TargetRegistrySettings Registry(TestRepository keys, TimeProvider? time = null, RepositoryOptions? options = null) =>
        new("acme", keys.Root, keys.Signers, options ?? new RepositoryOptions(), TimeSpan.FromMinutes(10), SnapshotEvery: 20, time);

    public static PublisherSettings Publisher { get; } =
        new("acme", "127.0.0.1:5000", PlainHttp: true, new Dictionary<string, string>(), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(2), MaxRetries: 5);

    public static DeviceTwinSettings Twins(int shards = 10, TimeSpan? idleAfter = null, int snapshotEvery = 50) =>
        new(shards, idleAfter ?? TimeSpan.FromMinutes(2), snapshotEvery, TimeSpan.FromMinutes(15));

    /// <summary>The projection's batches; a short <paramref name="window"/> lets the fleet table follow the twins within tens of milliseconds.</summary>
    public static FleetProjectionSettings Projection(TimeSpan? window = null) => new(500, window ?? TimeSpan.FromMilliseconds(200));

    public static DeviceGroupsSettings Groups { get; } = new(100, TimeSpan.FromSeconds(10));

    public static WavesSettings Waves(TimeSpan? evaluateEvery = null, int assigningWindow = 1000) =>
        new(evaluateEvery ?? TimeSpan.FromSeconds(5), 100, TimeSpan.FromSeconds(30), assigningWindow, TimeSpan.FromSeconds(30));

    /// <summary>An embedded node (all roles, loopback) unless <paramref name="seeds"/> or <paramref name="discovery"/> say otherwise.</summary>
    public static ControlPlaneSettings ControlPlane(PersistenceSettings persistence, TargetRegistrySettings registry, PublisherSettings? publisher = null,
        DeviceTwinSettings? twins = null, FleetProjectionSettings? projection = null, WavesSettings? waves = null, int port = 0, IReadOnlyList<string>? seeds = null,
        ClusterDiscoverySettings? discovery = null) =>
        new("127.0.0.1", port, seeds ?? [], ControlPlaneSettings.AllRoles, persistence, registry, publisher ?? Publisher, twins ?? Twins(), projection ?? Projection(), Groups,
            waves ?? Waves(), Discovery: discovery);
}
