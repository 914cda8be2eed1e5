using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Cluster;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.Node.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FleetOrchestrator.Node.Benchmarks;

/// <summary>
/// Several <c>fleet-node run</c> nodes of one factory in this process, as an operator deploys them: one <c>init</c>, a
/// <c>fleet-node cert</c> per further node, TLS remoting, the first node as seed, the journal in a fresh PostgreSQL
/// database (dropped on dispose), each node with its own gateway and command host. Shared by the revocation
/// benchmark and the multi-node gateway test.
/// </summary>
public sealed class NodeCluster : IAsyncDisposable
{
    private readonly string _data;
    private readonly string _server;
    private readonly string _database;

    private NodeCluster(string data, string server, string database, string token, IReadOnlyList<(WebApplication App, Uri Gateway)> nodes)
    {
        _data = data;
        _server = server;
        _database = database;
        Token = token;
        Nodes = nodes;
    }

    public string Token { get; }
    public IReadOnlyList<(WebApplication App, Uri Gateway)> Nodes { get; }

    /// <param name="postgres">A PostgreSQL server's connection string; the cluster's database is created on it.</param>
    public static async Task<NodeCluster> StartAsync(int count, string postgres)
    {
        var data = Path.Combine(Path.GetTempPath(), "fleet-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        var database = "fleet_cluster_" + Guid.NewGuid().ToString("N")[..8];
        await SqlAsync(postgres, $"CREATE DATABASE {database}");
        var journal = new NpgsqlConnectionStringBuilder(postgres) { Database = database }.ConnectionString;
        var token = await Init.RunAsync(["--factory", "acme", "--data", data, "--registry", "127.0.0.1:5000", "--plain-http", "--node", "node1"]);
        var remoting = Enumerable.Range(0, count).Select(_ => FreePort()).ToList();
        var nodes = new List<(WebApplication, Uri)>();
        for (var i = 0; i < count; i++)
        {
            var certificate = Path.Combine(data, "node");
            if (i > 0) await Cert.RunAsync(["--data", data, "--node", $"node{i + 1}", "--out", certificate = Path.Combine(data, "nodes", $"node{i + 1}")]);
            var gateway = FreePort();
            string[] seed = i == 0 ? [] : ["--seed", $"akka.ssl.tcp://fleet@127.0.0.1:{remoting[0]}"];
            var app = await NodeHost.BuildAsync(["--data", data, "--gateway-port", gateway.ToString(), "--remoting-port", remoting[i].ToString(), "--pbm-port", "0",
                "--postgres", journal, "--node-certificate", certificate, .. seed]);
            await app.StartAsync();
            nodes.Add((app, new Uri($"https://127.0.0.1:{gateway}/")));
        }
        var cluster = new NodeCluster(data, postgres, database, token, nodes);
        await cluster.UntilReadyAsync();
        return cluster;
    }

    /// <summary>Every node up in one cluster, its gateway serving metadata and holding the deny list.</summary>
    private async Task UntilReadyAsync()
    {
        for (var waited = 0; ; waited++)
        {
            var ready = Nodes.All(n => Cluster.Get(n.App.Services.GetRequiredService<ActorSystem>()).State.Members.Count(m => m.Status == MemberStatus.Up) == Nodes.Count
                                       && n.App.Services.GetRequiredService<MetadataCache>().IsLoaded && n.App.Services.GetRequiredService<DeviceDenyList>().IsLoaded);
            if (ready) return;
            if (waited == 1200) throw new TimeoutException("the cluster did not come up within 120 s");
            await Task.Delay(100);
        }
    }

    /// <summary>Where node <paramref name="index"/>'s command host listens.</summary>
    public Task<IPEndPoint> CommandHostAsync(int index) => Nodes[index].App.Services.GetRequiredService<FleetOrchestrator.CommandHost.CommandHostEndpoint>().Bound;

    /// <summary>Registers a device at node <paramref name="index"/>'s gateway; returns its certificate with its key.</summary>
    public async Task<X509Certificate2> RegisterAsync(string name, int index = 0)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using var client = Client(index, null);
        var answer = await client.PostAsJsonAsync("devices", new RegistrationRequest(Token, name, csr, "generic", "main"));
        if (answer.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"registering {name}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        var response = (await answer.Content.ReadFromJsonAsync<RegistrationResponse>())!;
        using var issued = X509Certificate2.CreateFromPem(response.Certificate);
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A client of node <paramref name="index"/>'s gateway presenting <paramref name="certificate"/> (the gateway certificate is the factory's: not checked here).</summary>
    public HttpClient Client(int index, X509Certificate2? certificate)
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        if (certificate is not null) handler.ClientCertificates.Add(certificate);
        return new HttpClient(handler) { BaseAddress = Nodes[index].Gateway, Timeout = TimeSpan.FromSeconds(20) };
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task SqlAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (app, _) in Nodes.Reverse())
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        NpgsqlConnection.ClearAllPools();
        await SqlAsync(_server, $"DROP DATABASE {_database} WITH (FORCE)");
        Directory.Delete(_data, recursive: true);
    }
}
