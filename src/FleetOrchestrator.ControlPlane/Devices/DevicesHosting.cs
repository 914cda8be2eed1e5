using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.Infrastructure.Hosting;
using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Devices;

/// <summary>Routes <see cref="IWithDeviceId"/> messages to the device's twin.</summary>
public sealed class DeviceMessageExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public override string EntityId(object message) => message is IWithDeviceId withId ? withId.DeviceId : null!;
}

public static class DevicesHosting
{
    /// <summary>Cluster role of nodes that host device twins.</summary>
    public const string Role = "fleet";

    /// <summary>
    /// The device twin shard region (registered in the <see cref="ActorRegistry"/> under <see cref="DeviceTwinActor"/>),
    /// twins passivated after <see cref="DeviceTwinSettings.PassivateIdleAfter"/> without messages.
    /// </summary>
    public static AkkaConfigurationBuilder WithDeviceTwins(this AkkaConfigurationBuilder builder, DeviceTwinSettings settings) =>
        builder.AddHocon(CompactMailbox.Hocon, HoconAddMode.Append).WithShardRegion<DeviceTwinActor>("device-twin", id => DeviceTwinActor.PropsFor(id, settings),
            new DeviceMessageExtractor(settings.Shards),
            new ShardOptions { Role = Role, RememberEntities = false, PassivateIdleEntityAfter = settings.PassivateIdleAfter, StateStoreMode = StateStoreMode.DData });

    /// <summary>A proxy to the twins, on nodes without the <see cref="Role"/> role (e.g. gateway-only nodes).</summary>
    public static AkkaConfigurationBuilder WithDeviceTwinsProxy(this AkkaConfigurationBuilder builder, int shards) =>
        builder.WithShardRegionProxy<DeviceTwinActor>("device-twin", Role, new DeviceMessageExtractor(shards));
}
