using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Akka.Remote.Transport.DotNetty;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Security;
using FleetOrchestrator.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FleetOrchestrator.ControlPlane.Tests.Cluster;

/// <summary>
/// A real control-plane node (every role, PostgreSQL) with mutual TLS remoting and a probe actor at <c>/user/probe</c>,
/// standing for the device-twin region and the target registry an intruder would reach through an actor selection.
/// </summary>
public sealed class RealNodeFixture : IAsyncLifetime
{
    private PostgresDatabase? _database;

    public IHost Host { get; private set; } = null!;
    public ActorSystem System => Host.Services.GetRequiredService<ActorSystem>();
    public Address Address => Akka.Cluster.Cluster.Get(System).SelfAddress;
    public ConcurrentQueue<object> Received { get; } = new();
    public ConcurrentQueue<object> Warnings { get; } = new();

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        var port = ClusterTestNode.FreePort();
        Host = await ClusterTestNode.StartAsync(new TestRepository(), _database.ConnectionString, port, [ClusterTestNode.Seed(port)]);
        System.ActorOf(Props.Create(() => new Recorder(Received)), "probe");
        System.EventStream.Subscribe(System.ActorOf(Props.Create(() => new Recorder(Warnings)), "warnings"), typeof(Warning));
        for (var deadline = DateTime.UtcNow.AddSeconds(30); Akka.Cluster.Cluster.Get(System).SelfMember.Status != MemberStatus.Up; await Task.Delay(100))
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the real node never came Up");
    }

    /// <summary>The refusals the node logged (its validator's warnings).</summary>
    public IReadOnlyList<string> Refusals =>
        Warnings.OfType<Warning>().Select(w => w.Message?.ToString() ?? "").Where(m => m.StartsWith("remoting refused peer", StringComparison.Ordinal)).ToList();

    public async Task DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
        if (_database is not null) await _database.DisposeAsync();
    }

    private sealed class Recorder : ReceiveActor
    {
        public Recorder(ConcurrentQueue<object> received) => ReceiveAny(received.Enqueue);
    }
}

/// <summary>
/// Mutual TLS on Akka.Remote against the issue's attacks: an Akka.NET program with system name <c>fleet</c> tries to join
/// the real node's cluster and to send to an actor through an actor selection; only a node with a certificate of this
/// cluster's CA gets through.
/// </summary>
public sealed class RemotingTlsTests(RealNodeFixture real) : IClassFixture<RealNodeFixture>
{

    [Fact]
    public async Task A_node_with_a_certificate_of_the_cluster_ca_joins_and_delivers()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka(ControlPlaneSettings.SystemName, akka => akka
            .WithRemotingTls(ClusterTestNode.Tls("friend"))
            .WithRemoting(new RemoteOptions { HostName = "127.0.0.1", Port = 0 })
            .WithClustering(new ClusterOptions { SeedNodes = [real.Address.ToString()] }));
        using var friend = builder.Build();
        await friend.StartAsync();
        try
        {
            var system = friend.Services.GetRequiredService<ActorSystem>();
            var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
            await UntilAsync(() => Akka.Cluster.Cluster.Get(real.System).State.Members.Any(m => m.Address == self && m.Status == MemberStatus.Up), "the friend to be Up on the real node");

            system.ActorSelection(new RootActorPath(real.Address) / "user" / "probe").Tell("hello from a node of the cluster");
            await UntilAsync(() => real.Received.Contains("hello from a node of the cluster"), "the probe to receive the friend's message");
            Assert.Equal(RemotingTls.Protocol, self.Protocol);
        }
        finally
        {
            // Coordinated shutdown leaves the cluster within its phase timeouts (LeaveAsync alone has none).
            await friend.StopAsync();
        }
    }

    [Fact]
    public async Task A_node_without_tls_can_neither_join_nor_deliver()
    {
        await Intrusion.AttackAsync(real, [Intrusion.Intruder("enable-ssl = off")], "akka.tcp");
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !condition(); await Task.Delay(100))
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
    }
}

/// <summary>A certificate of another CA, on a real node of its own: refusals are logged once per address for the node's life.</summary>
public sealed class ForeignCertificateTests(RealNodeFixture real) : IClassFixture<RealNodeFixture>
{
    [Fact]
    public async Task A_node_with_a_certificate_of_another_ca_can_neither_join_nor_deliver()
    {
        using var otherCa = ClusterCa.Create("acme");
        var tls = ClusterTestNode.Tls("intruder", otherCa);
        // The intruder accepts any server certificate, so only the real node's check can stop it.
        var intruders = Enumerable.Range(0, 2).Select(_ => Intrusion.Intruder("enable-ssl = on", new DotNettySslSetup(tls.NodeCertificate, suppressValidation: true, requireMutualAuthentication: true))).ToList();

        await Intrusion.AttackAsync(real, intruders, RemotingTls.Protocol);

        // Refused at the handshake, and logged once for the address although two intruders tried from it.
        var refusal = Assert.Single(real.Refusals);
        Assert.Matches(@"^remoting refused peer \[(::ffff:)?127\.0\.0\.1\]:\d+ at the TLS handshake", refusal);
        Assert.Contains("is not a node certificate of this cluster's CA", refusal);
    }
}

/// <summary>The issue's intruder and its two attacks.</summary>
internal static class Intrusion
{
    /// <summary>How long an attack is watched: several of an intruder's join and association retries.</summary>
    private static readonly TimeSpan Watch = TimeSpan.FromSeconds(6);

    /// <summary>Each intruder joins the real node and sends to its probe by actor selection; none may get in or through.</summary>
    public static async Task AttackAsync(RealNodeFixture real, IReadOnlyList<ActorSystem> intruders, string scheme)
    {
        var target = new Address(scheme, real.Address.System, real.Address.Host, real.Address.Port);
        try
        {
            foreach (var intruder in intruders)
            {
                Akka.Cluster.Cluster.Get(intruder).Join(target);
                intruder.ActorSelection(new RootActorPath(target) / "user" / "probe").Tell("evil: ConfigureDevice(dev1, tag evil, apps [])");
            }
            var addresses = intruders.Select(i => Akka.Cluster.Cluster.Get(i).SelfAddress).ToHashSet();
            for (var until = DateTime.UtcNow + Watch; DateTime.UtcNow < until; await Task.Delay(200))
            {
                var state = Akka.Cluster.Cluster.Get(real.System).State;
                Assert.DoesNotContain(state.Members.Concat(state.Unreachable), m => addresses.Contains(m.Address));
                Assert.DoesNotContain(real.Received, m => m is string s && s.StartsWith("evil", StringComparison.Ordinal));
            }
            Assert.Equal(MemberStatus.Up, Akka.Cluster.Cluster.Get(real.System).SelfMember.Status);
            Assert.All(intruders, i => Assert.NotEqual(MemberStatus.Up, Akka.Cluster.Cluster.Get(i).SelfMember.Status));
        }
        finally
        {
            foreach (var intruder in intruders) await intruder.Terminate();
        }
    }

    /// <summary>The issue's 60-line program: system name <c>fleet</c>, cluster provider, nothing else of ours.</summary>
    public static ActorSystem Intruder(string ssl, DotNettySslSetup? setup = null)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0, {{ssl}} }
            akka.cluster.seed-node-timeout = 1s
            akka.loglevel = WARNING
            """);
        var bootstrap = BootstrapSetup.Create().WithConfig(config);
        return ActorSystem.Create(ControlPlaneSettings.SystemName, setup is null ? ActorSystemSetup.Create(bootstrap) : bootstrap.And(setup));
    }
}
