using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;

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
        await using var node = await EmbeddedNode.StartAsync(options);
        var twins = await node.ActorAsync<DeviceTwinActor>();
        // Warm-up: shards allocated, journal tables created, code paths jitted, outside the measurement.
        await node.RegisterAsync("warm", 200, inFlight);
        var baseline = Memory();

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await node.RegisterAsync("device", count, inFlight);
        clock.Stop();
        // CPU time is what the machine's load does not distort: the wall time an idle machine would need follows from it.
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var live = (await twins.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(60))).Shards.Sum(s => s.EntityIds.Count);
        var perTwin = (Memory() - baseline) / (double)count;

        var table = new FleetTable(node.Persistence);
        var projection = Stopwatch.StartNew();
        while (await table.CountAsync(new FleetQuery()) < count + 200) await Task.Delay(500);
        projection.Stop();

        Console.WriteLine($"journal: {node.JournalName}");
        Console.WriteLine($"{count:N0} twins registered in {clock.Elapsed.TotalSeconds:F1} s ({count / clock.Elapsed.TotalSeconds:N0}/s, {inFlight} in flight); {live:N0} live twins");
        Console.WriteLine($"process CPU time while registering: {cpu.TotalSeconds:F1} s ({cpu.TotalMilliseconds / count:F2} ms per twin; {cpu.TotalSeconds / Environment.ProcessorCount:F1} s of wall time if all {Environment.ProcessorCount} cores were ours)");
        Console.WriteLine($"managed memory per live twin: {perTwin:N0} bytes (heap after full GC, before and after)");
        Console.WriteLine($"fleet table listed all of them {projection.Elapsed.TotalSeconds:F1} s after the last registration answered");
        Console.WriteLine($"{Environment.ProcessorCount} cores; load average after the run: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    private static long Memory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
