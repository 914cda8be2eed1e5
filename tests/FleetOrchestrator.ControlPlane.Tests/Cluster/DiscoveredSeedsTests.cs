using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FleetOrchestrator.ControlPlane.Tests.Cluster;

/// <summary>Cluster mode without seed addresses: the seeds come from Akka.Discovery (config method), three nodes on loopback.</summary>
public sealed class DiscoveredSeedsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly TestRepository _keys = new();

    [Fact]
    public async Task Three_nodes_given_only_the_discovery_endpoints_form_one_cluster_whatever_order_they_start_in()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        var ports = Enumerable.Range(0, 3).Select(_ => ClusterTestNode.FreePort()).ToList();
        var endpoints = ports.Select(p => $"127.0.0.1:{p}").ToList();
        var nodes = new List<IHost>();
        try
        {
            // The node every other one names as first seed starts last.
            foreach (var port in ports.OrderDescending()) nodes.Add(await ClusterTestNode.StartAsync(_keys, database.ConnectionString, port, [], new ClusterDiscoverySettings(endpoints)));
            var clusters = nodes.Select(n => Akka.Cluster.Cluster.Get(n.Services.GetRequiredService<ActorSystem>())).ToList();

            for (var deadline = DateTime.UtcNow + Wait; !clusters.All(c => c.State.Members.Count(m => m.Status == MemberStatus.Up) == 3); await Task.Delay(250))
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException("members seen: " + string.Join(" | ", clusters.Select(c => string.Join(", ", c.State.Members.Select(m => $"{m.Address} {m.Status}")))));

            // One cluster, not several: every node sees the same members and the same leader.
            Assert.Single(clusters.Select(c => string.Join(",", c.State.Members.Select(m => m.Address.ToString()).Order())).Distinct());
            Assert.Single(clusters.Select(c => c.State.Leader).Distinct());
            var registry = await nodes[0].Services.GetRequiredService<ActorRegistry>().GetAsync<TargetRegistryActor>();
            Assert.NotNull(await registry.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, Wait));
        }
        finally
        {
            foreach (var node in nodes) await node.StopAsync();
        }
    }

    [Fact]
    public void Seeds_are_the_resolved_endpoints_in_one_order_and_need_ports()
    {
        var seeds = ClusterDiscoverySettings.SeedsOf([("node2", 4053), ("node1", 4054), ("node1", 4053), ("node2", 4053)], "fleet", "akka.ssl.tcp");
        Assert.Equal(["akka.ssl.tcp://fleet@node1:4053", "akka.ssl.tcp://fleet@node1:4054", "akka.ssl.tcp://fleet@node2:4053"], seeds.Select(s => s.ToString()));
        Assert.Equal("discovery of fleet-control-plane answered node3 without a port",
            Assert.Throws<InvalidOperationException>(() => ClusterDiscoverySettings.SeedsOf([("node3", null)], "fleet", "akka.ssl.tcp")).Message);
        Assert.Equal("discovery endpoint \"node1\" is not <host>:<port>", new ClusterDiscoverySettings(["node1:4053", "node1"]).Problem);
        Assert.Null(new ClusterDiscoverySettings(["node1:4053"]).Problem);
    }
}
