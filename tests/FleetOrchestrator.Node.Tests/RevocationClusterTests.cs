using System.Net;
using FleetOrchestrator.CommandHost.Tests;
using FleetOrchestrator.Node.Benchmarks;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Node.Tests;

/// <summary>Two nodes of one cluster (TLS remoting, PostgreSQL): a revocation at one node's command host reaches the other node's gateway.</summary>
public sealed class RevocationClusterTests
{
    [Fact]
    public async Task A_gateway_on_another_node_refuses_the_revoked_device_on_its_open_connection()
    {
        await using var server = await PostgresDatabase.CreateAsync();
        await using var cluster = await NodeCluster.StartAsync(2, server.ConnectionString);
        using var certificate = await cluster.RegisterAsync("device-1");
        using var other = cluster.Client(1, certificate);
        Assert.True((await other.GetAsync("config")).IsSuccessStatusCode);

        var revoked = await PbmClient.RunAsync(await cluster.CommandHostAsync(0), "devices", "revoke", ["device-1", "--reason", "stolen"]);

        Assert.Equal(0, revoked.End.ExitCode);
        for (var attempt = 0; (await other.GetAsync("config")).StatusCode != HttpStatusCode.Forbidden; attempt++)
        {
            Assert.True(attempt < 300, "the other node's gateway never refused the revoked device");
            await Task.Delay(100);
        }
    }
}
