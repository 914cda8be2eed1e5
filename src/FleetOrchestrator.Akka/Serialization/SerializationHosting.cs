using Akka.Actor.Setup;
using Akka.Hosting;
using Akka.Serialization;
using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.Infrastructure.Serialization;

public static class SerializationHosting
{
    /// <summary>Binds <see cref="IFleetMessage"/> to <see cref="FleetJsonSerializer"/> with the given manifest table.</summary>
    public static AkkaConfigurationBuilder WithFleetSerializer(this AkkaConfigurationBuilder builder, ManifestTable table) =>
        builder.WithCustomSerializer(FleetJsonSerializer.Name, [typeof(IFleetMessage)], system => new FleetJsonSerializer(system, table));

    /// <summary>The same binding for an ActorSystem created without Akka.Hosting.</summary>
    public static ActorSystemSetup Setup(ManifestTable table) =>
        ActorSystemSetup.Create(SerializationSetup.Create(system =>
            [SerializerDetails.Create(FleetJsonSerializer.Name, new FleetJsonSerializer(system, table), [typeof(IFleetMessage)])]));
}
