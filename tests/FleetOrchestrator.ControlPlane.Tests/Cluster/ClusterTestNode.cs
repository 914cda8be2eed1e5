using System.Net;
using System.Net.Sockets;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Tuf.Repository;
using Microsoft.Extensions.Hosting;

namespace FleetOrchestrator.ControlPlane.Tests.Cluster;

/// <summary>A node of the cluster tests: every role, on loopback, its journal in the PostgreSQL database the cluster shares.</summary>
internal static class ClusterTestNode
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts a node on remoting <paramref name="port"/> (0: any) joining <paramref name="seeds"/> or what <paramref name="discovery"/> finds.</summary>
    public static async Task<IHost> StartAsync(TestRepository keys, string postgres, int port, IReadOnlyList<string> seeds, ClusterDiscoverySettings? discovery = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka(ControlPlaneSettings.SystemName, akka => akka.WithFleetControlPlane(TestSettings.ControlPlane(
            PersistenceSettings.Postgres(postgres), TestSettings.Registry(keys), twins: TestSettings.Twins(shards: 30), port: port, seeds: seeds, discovery: discovery)));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
