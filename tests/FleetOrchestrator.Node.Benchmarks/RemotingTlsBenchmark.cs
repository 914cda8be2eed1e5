using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Security;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Waves;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Repository;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace FleetOrchestrator.Node.Benchmarks;

/// <summary>
/// The same three-node cluster with mutual-TLS remoting and with plain TCP remoting, side by side in one run (rounds
/// alternate plain, TLS, plain, TLS…; a fresh cluster and PostgreSQL database each; warm-up rounds, numbered 0 and
/// below, are not counted). Each round: N twins registered
/// through node 1's shard region (sharded over the three nodes), a wave over all of them in one stage — assignments per
/// minute as <see cref="WaveBenchmark"/> counts them, from <c>DeviceViewChanged</c> on the <c>device-views</c> topic,
/// published by twins on every node — then check-ins: the twin asks a gateway makes for a device (<c>GetDevice</c>, what
/// <c>DeviceAuthentication</c> asks on a device's first check-in), sent round-robin through the shard regions of the
/// three nodes, so about two in three cross remoting. Certificates are made as operators make them: <c>fleet-node
/// init</c> (cluster CA and the first node's certificate) and <c>fleet-node cert</c> for the other two.
/// </summary>
internal static class RemotingTlsBenchmark
{
    /// <summary>A round's figures; CPU is the benchmark process's (all three nodes) per operation, which the other load on a shared machine disturbs far less than the rates.</summary>
    private sealed record Round(int Number, string Remoting, int Devices, double AssignmentsPerMinute, double AssignmentCpuMs, double CheckinsPerSecond, double CheckinP99Ms, double CheckinCpuMs);

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(Options options)
    {
        var count = options.Int("count", 5000);
        var inFlight = options.Int("in-flight", 500);
        var rounds = options.Int("rounds", 2);
        // The first clusters of a process run while the JIT compiles every path: their rounds are printed, not counted.
        var warmup = options.Int("warmup", 1);
        var checkins = TimeSpan.FromSeconds(options.Int("checkin-seconds", 15));
        var postgres = options.String("postgres", Environment.GetEnvironmentVariable("FLEET_TEST_POSTGRES") ?? "");
        if (postgres.Length == 0)
        {
            Console.Error.WriteLine("cluster-tls needs --postgres <connection string> (or FLEET_TEST_POSTGRES): the three nodes share one journal");
            return 2;
        }
        var data = Path.Combine(Path.GetTempPath(), "fleet-bench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var certificates = await NodeCertificatesAsync(data);
            var (repository, keys) = TufRepository.Create();
            var signers = keys.Values.SelectMany(k => k).Cast<ISigner>().ToList();
            Console.WriteLine($"3 nodes in one process, {count:N0} devices, {inFlight} asks in flight, check-ins for {checkins.TotalSeconds:F0} s; load average {WaveBenchmark.LoadAverage()}");
            var results = new List<Round>();
            for (var round = 1 - warmup; round <= rounds; round++)
                foreach (var tls in options.String("first") == "tls" ? new[] { true, false } : [false, true])
                {
                    await using var cluster = await BenchCluster.StartAsync(postgres, tls ? certificates : null, repository.Root.ToBytes(), signers, options.String("hocon"));
                    results.Add(await MeasureAsync(cluster, round, count, inFlight, checkins));
                }

            Console.WriteLine($"{Environment.ProcessorCount} cores; load average after the run: {WaveBenchmark.LoadAverage()}");
            Console.WriteLine("| round | remoting | wave assignments per minute | CPU ms per assignment | check-ins/s | check-in p99 ms | CPU ms per check-in |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (var r in results)
                Console.WriteLine($"| {r.Number} | {r.Remoting} | {r.AssignmentsPerMinute:N0} | {r.AssignmentCpuMs:F2} | {r.CheckinsPerSecond:N0} | {r.CheckinP99Ms:F1} | {r.CheckinCpuMs:F3} |");
            double Median(string remoting, Func<Round, double> figure)
            {
                var sorted = results.Where(r => r.Remoting == remoting && r.Number >= 1).Select(figure).Order().ToList();
                return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
            }
            var waves = Median("mutual TLS", r => r.AssignmentsPerMinute) / Median("plain TCP", r => r.AssignmentsPerMinute);
            var checks = Median("mutual TLS", r => r.CheckinsPerSecond) / Median("plain TCP", r => r.CheckinsPerSecond);
            Console.WriteLine($"TLS / plain (medians): wave assignments {waves:F2}, check-ins {checks:F2} (target: at least 0.90 each)");
            // At saturation a 2-core machine's rate is the inverse of the CPU each operation costs: plain / TLS CPU is the same ratio, measured with less noise.
            Console.WriteLine($"plain / TLS CPU per operation (medians): wave assignments {Median("plain TCP", r => r.AssignmentCpuMs) / Median("mutual TLS", r => r.AssignmentCpuMs):F2}, " +
                $"check-ins {Median("plain TCP", r => r.CheckinCpuMs) / Median("mutual TLS", r => r.CheckinCpuMs):F2}");
            return 0;
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>A factory as <c>fleet-node init</c> makes it, and two more node certificates from <c>fleet-node cert</c>; each node's remoting TLS loaded as the node loads it.</summary>
    private static async Task<IReadOnlyList<RemotingTls>> NodeCertificatesAsync(string data)
    {
        await Init.RunAsync(["--factory", "bench", "--data", data, "--registry", "127.0.0.1:5000", "--plain-http"]);
        var files = new FactoryFiles(data);
        var certificates = new List<RemotingTls> { await files.LoadRemotingTlsAsync(null) };
        foreach (var node in new[] { "node-2", "node-3" })
        {
            var directory = Path.Combine(data, node);
            await Cert.RunAsync(["--data", data, "--node", node, "--out", directory]);
            certificates.Add(await files.LoadRemotingTlsAsync(directory));
        }
        return certificates;
    }

    private static async Task<Round> MeasureAsync(BenchCluster cluster, int round, int count, int inFlight, TimeSpan checkinTime)
    {
        var remoting = cluster.Tls ? "mutual TLS" : "plain TCP";
        var first = cluster.Nodes[0];
        var twins = await first.ActorAsync<DeviceTwinActor>();
        // Subscribed before the twins exist: distributed pub/sub gossips the subscription to the other nodes (about a
        // second), and a view published by a twin on a node that has not heard of it yet would never be counted.
        var views = new WaveBenchmark.ViewCounter();
        first.Services.GetRequiredService<ActorSystem>().ActorOf(Props.Create(() => new WaveBenchmark.ViewSubscriber(views)), "bench-view-subscriber");
        var clock = Stopwatch.StartNew();
        await EmbeddedNode.ForEachAsync(Enumerable.Range(0, count).ToList(), inFlight, async i =>
        {
            var name = $"dev-{i:D6}";
            var register = new RegisterDevice(name, "rpi4", "main", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))), "lab");
            WaveBenchmark.Expect<DeviceRegistered>(await twins.Ask<object>(register, AskTimeout));
        });
        Console.WriteLine($"round {round}, {remoting}: {count:N0} twins registered in {clock.Elapsed.TotalSeconds:F1} s; load average {WaveBenchmark.LoadAverage()}");
        var table = new FleetTable(cluster.Persistence);
        var listed = 0L;
        await WaveBenchmark.UntilAsync(async () => (listed = await table.CountAsync(new FleetQuery(Tag: "main"))) >= count, TimeSpan.FromMinutes(5),
            () => $"the fleet table lists {listed:N0} of {count:N0} devices");
        Console.WriteLine($"round {round}, {remoting}: fleet table complete after {clock.Elapsed.TotalSeconds:F1} s");

        var registry = await first.ActorAsync<TargetRegistryActor>();
        foreach (var version in new[] { "1", "2" })
            WaveBenchmark.Expect<TargetRecorded>(await registry.Ask<object>(WaveBenchmark.Target($"bench-{version}", version), AskTimeout));
        var waves = await first.ActorAsync<WavesActor>();
        WaveBenchmark.Expect<WaveAccepted>(await waves.Ask<object>(new InitWave(WaveBenchmark.Wave, "2", "main"), AskTimeout));
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var rollout = Stopwatch.StartNew();
        WaveBenchmark.Expect<WaveAccepted>(await waves.Ask<object>(new RolloutWave(WaveBenchmark.Wave, new StageSelection(), new StageGates()), AskTimeout));
        await WaveBenchmark.UntilAsync(() => views.Count >= count, TimeSpan.FromMinutes(5), () => $"views {views.Count}/{count}");
        var perMinute = count / rollout.Elapsed.TotalMinutes;
        var assignmentCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / count;
        Console.WriteLine($"round {round}, {remoting}: {count:N0} views assigned in {rollout.Elapsed.TotalSeconds:F1} s ({perMinute:N0} per minute, {assignmentCpu:F2} ms CPU each); load average {WaveBenchmark.LoadAverage()}");

        cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var (perSecond, p99, asked) = await CheckinsAsync(cluster, count, inFlight, checkinTime);
        var checkinCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / asked;
        Console.WriteLine($"round {round}, {remoting}: {perSecond:N0} check-ins/s, p99 {p99:F1} ms, {checkinCpu:F3} ms CPU each; load average {WaveBenchmark.LoadAverage()}");
        return new Round(round, remoting, count, perMinute, assignmentCpu, perSecond, p99, checkinCpu);
    }

    /// <summary>Closed loop: <paramref name="inFlight"/> workers, worker i asking through node i mod 3, each a random device; 2 s warm-up. Asked: every ask, warm-up included (for CPU per ask).</summary>
    private static async Task<(double PerSecond, double P99Ms, long Asked)> CheckinsAsync(BenchCluster cluster, int count, int inFlight, TimeSpan duration)
    {
        var regions = new List<IActorRef>();
        foreach (var node in cluster.Nodes) regions.Add(await node.ActorAsync<DeviceTwinActor>());
        var randoms = Enumerable.Range(0, inFlight).Select(i => new Random(i)).ToArray();
        var result = await ClosedLoop.RunAsync(inFlight, duration, async i =>
        {
            await regions[i % regions.Count].Ask<DeviceDetails>(new GetDevice($"dev-{randoms[i].Next(count):D6}"), AskTimeout);
            return true;
        });
        return (result.PerSecond, result.Ms(0.99), result.Operations);
    }

    /// <summary>Three control-plane nodes (every role) on loopback sharing a fresh PostgreSQL database, with or without remoting TLS.</summary>
    private sealed class BenchCluster : IAsyncDisposable
    {
        private readonly string _postgres;
        private readonly string _database;

        private BenchCluster(string postgres, string database, PersistenceSettings persistence, bool tls)
        {
            _postgres = postgres;
            _database = database;
            Persistence = persistence;
            Tls = tls;
        }

        public List<IHost> Nodes { get; } = [];
        public PersistenceSettings Persistence { get; }
        public bool Tls { get; }

        public static async Task<BenchCluster> StartAsync(string postgres, IReadOnlyList<RemotingTls>? tls, byte[] root, IReadOnlyList<ISigner> signers, string extraHocon)
        {
            var database = "fleet_bench_" + Guid.NewGuid().ToString("N")[..8];
            await EmbeddedNode.PostgresAsync(postgres, $"CREATE DATABASE {database}");
            var persistence = PersistenceSettings.Postgres(new NpgsqlConnectionStringBuilder(postgres) { Database = database }.ConnectionString);
            var cluster = new BenchCluster(postgres, database, persistence, tls is not null);
            var hocon = await NodeHost.LoadHoconAsync(Path.Combine(AppContext.BaseDirectory, "hocon"), CancellationToken.None) + "\nakka.loglevel = WARNING\n" + extraHocon;
            var features = NodeSettings.Bind(Akka.Configuration.ConfigurationFactory.ParseString(hocon), new FactorySettings("bench", "127.0.0.1:5000", true), root, signers, keyStore: null);
            var ports = Enumerable.Range(0, 3).Select(_ => CheckinBenchmark.FreePort()).ToList();
            var seed = $"{(tls is null ? "akka.tcp" : RemotingTls.Protocol)}://{ControlPlaneSettings.SystemName}@127.0.0.1:{ports[0]}";
            for (var i = 0; i < 3; i++)
            {
                var settings = new ControlPlaneSettings("127.0.0.1", ports[i], [seed], ControlPlaneSettings.AllRoles, persistence,
                    features.TargetRegistry, features.Publisher, features.DeviceTwins with { PassivateIdleAfter = TimeSpan.FromHours(1) },
                    features.FleetProjection, features.Groups, features.Waves, hocon);
                var builder = Host.CreateApplicationBuilder();
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                builder.Services.AddSingleton(new FleetTable(persistence));
                var nodeTls = tls?[i];
                builder.Services.AddAkka(ControlPlaneSettings.SystemName, akka =>
                {
                    akka.WithFleetControlPlane(settings);
                    if (nodeTls is not null) akka.WithRemotingTls(nodeTls);
                });
                var host = builder.Build();
                await host.StartAsync();
                cluster.Nodes.Add(host);
            }
            await WaveBenchmark.UntilAsync(() => cluster.Nodes.All(n => Cluster.Get(n.Services.GetRequiredService<ActorSystem>()).State.Members.Count(m => m.Status == MemberStatus.Up) == 3),
                TimeSpan.FromMinutes(2), () => "the three nodes did not form a cluster");
            return cluster;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var node in Enumerable.Reverse(Nodes))
            {
                await node.StopAsync();
                node.Dispose();
            }
            NpgsqlConnection.ClearAllPools();
            await EmbeddedNode.PostgresAsync(_postgres, $"DROP DATABASE {_database} WITH (FORCE)");
        }
    }
}

internal static class HostActors
{
    public static Task<IActorRef> ActorAsync<T>(this IHost host) => host.Services.GetRequiredService<ActorRegistry>().GetAsync<T>();
}
