using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Repository;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace FleetOrchestrator.Node.Benchmarks;

/// <summary>
/// Registers N device twins on one embedded node (all roles, SQLite file) through the shard region, as the
/// gateway does after issuing a certificate: wall time, managed memory per live twin, and how long the
/// fleet projection takes to list them all.
/// </summary>
internal static class TwinBenchmark
{
    public static async Task<int> RunAsync(Options options)
    {
        var count = options.Int("count", 100_000);
        var inFlight = options.Int("in-flight", 1000);
        var data = Path.Combine(Path.GetTempPath(), "fleet-twins-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        // --postgres <connection string>: a fresh database on that server instead of a SQLite file.
        var postgres = options.String("postgres");
        var database = "fleet_bench_" + Guid.NewGuid().ToString("N")[..8];
        if (postgres.Length > 0) await PostgresAsync(postgres, $"CREATE DATABASE {database}");
        var persistence = postgres.Length > 0
            ? PersistenceSettings.Postgres(new NpgsqlConnectionStringBuilder(postgres) { Database = database }.ConnectionString)
            : PersistenceSettings.SqliteFile(Path.Combine(data, "journal.db"));
        var (repository, keys) = TufRepository.Create();
        var settings = new ControlPlaneSettings("127.0.0.1", 0, [], ControlPlaneSettings.AllRoles, persistence,
            new TargetRegistrySettings("bench", repository.Root.ToBytes(), keys.Values.SelectMany(k => k).Cast<ISigner>().ToList(), new RepositoryOptions(), TimeSpan.FromHours(1)),
            new PublisherSettings("bench", "127.0.0.1:5000", true, new Dictionary<string, string>(), TimeSpan.FromSeconds(30)),
            // Idle passivation far beyond the run: every twin stays live to be measured.
            new DeviceTwinSettings(Shards: 100, IdleAfter: TimeSpan.FromHours(1)),
            Hocon: "akka.loglevel = WARNING\n" + options.String("hocon"));
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAkka(ControlPlaneSettings.SystemName, akka => akka.WithFleetControlPlane(settings));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var twins = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<DeviceTwinActor>();
            // Warm-up: shards allocated, journal tables created, code paths jitted, outside the measurement.
            await RegisterAsync(twins, "warm", 200, inFlight);
            var baseline = Memory();

            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            await RegisterAsync(twins, "device", count, inFlight);
            clock.Stop();
            // CPU time is what the machine's load does not distort: the wall time an idle machine would need follows from it.
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            var live = (await twins.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(60))).Shards.Sum(s => s.EntityIds.Count);
            var perTwin = (Memory() - baseline) / (double)count;

            var table = new FleetTable(persistence);
            var projection = Stopwatch.StartNew();
            while (await table.CountAsync(new FleetQuery()) < count + 200) await Task.Delay(500);
            projection.Stop();

            Console.WriteLine($"journal: {(postgres.Length > 0 ? "PostgreSQL" : "SQLite file")}");
            Console.WriteLine($"{count:N0} twins registered in {clock.Elapsed.TotalSeconds:F1} s ({count / clock.Elapsed.TotalSeconds:N0}/s, {inFlight} in flight); {live:N0} live twins");
            Console.WriteLine($"process CPU time while registering: {cpu.TotalSeconds:F1} s ({cpu.TotalMilliseconds / count:F2} ms per twin; {cpu.TotalSeconds / Environment.ProcessorCount:F1} s of wall time if all {Environment.ProcessorCount} cores were ours)");
            Console.WriteLine($"managed memory per live twin: {perTwin:N0} bytes (heap after full GC, before and after)");
            Console.WriteLine($"fleet table listed all of them {projection.Elapsed.TotalSeconds:F1} s after the last registration answered");
            Console.WriteLine($"{Environment.ProcessorCount} cores; load average after the run: {File.ReadAllText("/proc/loadavg").Trim()}");
            return 0;
        }
        finally
        {
            await host.StopAsync();
            Directory.Delete(data, recursive: true);
            NpgsqlConnection.ClearAllPools();
            if (postgres.Length > 0) await PostgresAsync(postgres, $"DROP DATABASE {database} WITH (FORCE)");
        }
    }

    private static async Task PostgresAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task RegisterAsync(IActorRef twins, string prefix, int count, int inFlight)
    {
        using var slots = new SemaphoreSlim(inFlight);
        var pending = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            await slots.WaitAsync();
            var name = $"{prefix}-{i:D6}";
            pending.Add(Task.Run(async () =>
            {
                try
                {
                    var answer = await twins.Ask(new RegisterDevice(name, "rpi4", "main", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))), "lab"), TimeSpan.FromSeconds(120));
                    if (answer is not DeviceRegistered) throw new InvalidOperationException($"{name}: {answer}");
                }
                finally
                {
                    slots.Release();
                }
            }));
        }
        await Task.WhenAll(pending);
    }

    private static long Memory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
