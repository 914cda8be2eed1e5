using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
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
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka(ControlPlaneSettings.SystemName, akka => akka.WithFleetControlPlane(
            TestSettings.ControlPlane(PersistenceSettings.SqliteFile(databaseFile), registry, publisher, twins)));
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
