using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Security;
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

    /// <summary>The cluster CA of every test cluster (one per run: issuing is what costs, not the CA).</summary>
    public static readonly ClusterCa Ca = ClusterCa.Create("acme");

    /// <summary>Remoting TLS for a node named <paramref name="node"/> with a certificate of <paramref name="issuer"/> (default <see cref="Ca"/>), trusting <see cref="Ca"/>.</summary>
    public static RemotingTls Tls(string node, ClusterCa? issuer = null) =>
        new(CertificateAuthority.UsableForTls((issuer ?? Ca).IssueNodeCertificate(node)), [X509CertificateLoader.LoadCertificate(Ca.Certificate.RawData)]);

    /// <summary>A seed address on loopback, in the scheme TLS remoting uses.</summary>
    public static string Seed(int port) => $"{RemotingTls.Protocol}://{ControlPlaneSettings.SystemName}@127.0.0.1:{port}";

    /// <summary>Starts a node on remoting <paramref name="port"/> (0: any) joining <paramref name="seeds"/> or what <paramref name="discovery"/> finds, with mutual TLS.</summary>
    public static async Task<IHost> StartAsync(TestRepository keys, string postgres, int port, IReadOnlyList<string> seeds, ClusterDiscoverySettings? discovery = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka(ControlPlaneSettings.SystemName, akka => akka.WithRemotingTls(Tls($"node{port}")).WithFleetControlPlane(TestSettings.ControlPlane(
            PersistenceSettings.Postgres(postgres), TestSettings.Registry(keys), twins: TestSettings.Twins(shards: 30), port: port, seeds: seeds, discovery: discovery)));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
