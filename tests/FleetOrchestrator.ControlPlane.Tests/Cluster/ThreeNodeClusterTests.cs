using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FleetOrchestrator.ControlPlane.Tests.Cluster;

/// <summary>Cluster mode: three nodes on loopback sharing one PostgreSQL journal, as production runs them.</summary>
public sealed class ThreeNodeClusterTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TestRepository _keys = new();

    private static ActorSystem SystemOf(IHost host) => host.Services.GetRequiredService<ActorSystem>();

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_stopped_nodes_twins_come_back_on_the_others_with_their_state()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        var seedPort = ClusterTestNode.FreePort();
        var seed = ClusterTestNode.Seed(seedPort);
        var first = await ClusterTestNode.StartAsync(_keys, database.ConnectionString, seedPort, [seed]);
        var second = await ClusterTestNode.StartAsync(_keys, database.ConnectionString, 0, [seed]);
        var third = await ClusterTestNode.StartAsync(_keys, database.ConnectionString, 0, [seed]);
        try
        {
            await UntilAsync(() => Akka.Cluster.Cluster.Get(SystemOf(first)).State.Members.Count(m => m.Status == MemberStatus.Up) == 3, "three members up");

            var twins = await first.Services.GetRequiredService<ActorRegistry>().GetAsync<DeviceTwinActor>();
            var devices = Enumerable.Range(1, 40).Select(i => $"device-{i}").ToList();
            foreach (var device in devices)
                await twins.Ask<DeviceRegistered>(new RegisterDevice(device, "rpi4", "main", "fp-" + device, "lab", ["web"]), Wait);

            Assert.True(await database.CountRowsAsync("journal") >= devices.Count, "the registrations are not in the PostgreSQL journal");

            // The twins are spread over the nodes: the third one hosts some of them.
            var thirdRegion = await SystemOf(third).Services().GetAsync<DeviceTwinActor>();
            var onThird = (await thirdRegion.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, Wait)).Shards.Sum(s => s.EntityIds.Count);
            Assert.True(onThird > 0, "no twin was hosted by the third node");

            await third.StopAsync();
            third.Dispose();
            await UntilAsync(() => Akka.Cluster.Cluster.Get(SystemOf(first)).State.Members.Count(m => m.Status == MemberStatus.Up) == 2, "the third node to leave");

            // Every twin answers from the remaining nodes with the registration read back from PostgreSQL.
            foreach (var device in devices)
            {
                var details = await twins.Ask<DeviceDetails>(new GetDevice(device), Wait);
                Assert.Equal("fp-" + device, details.Registration?.CertificateSha256);
                Assert.Equal("lab", details.Registration?.Group);
            }
            // A second registration of a known device is still refused: the state is the persisted one, not a fresh twin.
            Assert.IsType<Protocol.Decisions.Refused>(await twins.Ask<object>(new RegisterDevice("device-1", "rpi4", "main", "other"), Wait));
        }
        finally
        {
            foreach (var host in new[] { second, first })
            {
                await host.StopAsync();
                host.Dispose();
            }
        }
    }
}

internal static class ActorSystemRegistry
{
    public static ActorRegistry Services(this ActorSystem system) => ActorRegistry.For(system);
}
