using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Audit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FleetOrchestrator.CommandHost;

public static class CommandHostHosting
{
    /// <summary>
    /// The audit journal singleton, and the palette handlers under one <see cref="CommandHostActor"/>, registered in the
    /// <see cref="ActorRegistry"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithCommandHost(this AkkaConfigurationBuilder builder, CommandHostSettings settings) =>
        builder.WithAuditJournal().WithActors((system, registry, resolver) => registry.Register<CommandHostActor>(system.ActorOf(
            CommandHostActor.PropsFor(settings, registry, resolver.GetService<FleetTable>(), TimeProvider.System), "command-host")));

    /// <summary>The TCP endpoint (a hosted service started after the actor system); <see cref="CommandHostEndpoint"/> tells where it listens.</summary>
    public static IServiceCollection AddCommandHost(this IServiceCollection services, CommandHostSettings settings)
    {
        settings.Validate();
        services.TryAddSingleton(TimeProvider.System);
        return services.AddSingleton(settings).AddSingleton<CommandHostEndpoint>().AddHostedService<CommandHostService>();
    }
}
