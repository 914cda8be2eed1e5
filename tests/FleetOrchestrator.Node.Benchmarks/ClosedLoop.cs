using System.Diagnostics;

namespace FleetOrchestrator.Node.Benchmarks;

/// <summary>What a closed-loop run measured: the latencies (ticks, sorted) of the measured window, its length, and every operation run.</summary>
public sealed record ClosedLoopResult(long[] Latencies, TimeSpan Measured, long Operations, long Errors)
{
    public double PerSecond => Latencies.Length / Measured.TotalSeconds;

    /// <summary>The latency at quantile <paramref name="q"/> (0..1) in milliseconds.</summary>
    public double Ms(double q) => Latencies[Math.Min(Latencies.Length - 1, (int)(Latencies.Length * q))] * 1000.0 / Stopwatch.Frequency;
}

/// <summary>
/// A closed-loop load: <c>workers</c> tasks each run one operation after another; the first 2 s warm up (JIT, connections)
/// and are not measured, then <c>duration</c> is. An operation answers false when it counts as an error.
/// </summary>
public static class ClosedLoop
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    public static async Task<ClosedLoopResult> RunAsync(int workers, TimeSpan duration, Func<int, Task<bool>> operation)
    {
        var measuring = false;
        var stop = false;
        var latencies = Enumerable.Range(0, workers).Select(_ => new List<long>(1 << 14)).ToArray();
        var errors = new long[workers];
        var operations = 0L;
        var tasks = Enumerable.Range(0, workers).Select(i => Task.Run(async () =>
        {
            while (!Volatile.Read(ref stop))
            {
                var start = Stopwatch.GetTimestamp();
                var ok = await operation(i);
                var elapsed = Stopwatch.GetTimestamp() - start;
                Interlocked.Increment(ref operations);
                if (!Volatile.Read(ref measuring)) continue;
                latencies[i].Add(elapsed);
                if (!ok) errors[i]++;
            }
        })).ToArray();
        await Task.Delay(WarmUp);
        Volatile.Write(ref measuring, true);
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        Volatile.Write(ref measuring, false);
        clock.Stop();
        Volatile.Write(ref stop, true);
        await Task.WhenAll(tasks);
        return new ClosedLoopResult(latencies.SelectMany(l => l).Order().ToArray(), clock.Elapsed, Interlocked.Read(ref operations), errors.Sum());
    }
}
