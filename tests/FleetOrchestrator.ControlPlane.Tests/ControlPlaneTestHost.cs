using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Targets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FleetOrchestrator.ControlPlane.Tests;

/// <summary>An embedded control-plane node (all roles, SQLite file, loopback, free port) hosted as the node hosts it.</summary>
public sealed class ControlPlaneTestHost : IAsyncDisposable
{
    private readonly IHost _host;

    private ControlPlaneTestHost(IHost host) => _host = host;

    public ActorSystem System => _host.Services.GetRequiredService<ActorSystem>();
    public ActorRegistry Registry => _host.Services.GetRequiredService<ActorRegistry>();

    public static async Task<ControlPlaneTestHost> StartAsync(string databaseFile, TargetRegistrySettings registry, PublisherSettings? publisher = null, DeviceTwinSettings? twins = null)
    {
        publisher ??= new PublisherSettings("acme", "127.0.0.1:5000", PlainHttp: true, new Dictionary<string, string>(), TimeSpan.FromSeconds(20));
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka(ControlPlaneSettings.SystemName, akka => akka.WithFleetControlPlane(new ControlPlaneSettings(
            "127.0.0.1", 0, [], ControlPlaneSettings.AllRoles, PersistenceSettings.SqliteFile(databaseFile), registry, publisher, twins ?? new DeviceTwinSettings())));
        var host = builder.Build();
        await host.StartAsync();
        return new ControlPlaneTestHost(host);
    }

    public async Task<IActorRef> TargetRegistryAsync() => await Registry.GetAsync<TargetRegistryActor>();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
