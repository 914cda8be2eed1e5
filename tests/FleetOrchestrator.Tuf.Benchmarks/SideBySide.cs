using System.Diagnostics;

namespace FleetOrchestrator.Tuf.Benchmarks;

/// <summary>
/// The TUF layer's verify against NSec's own, in alternating rounds of the same length (order swapped every
/// round), so that a noisy neighbour on a shared VM slows both sides of a round alike. BenchmarkDotNet runs one
/// benchmark after the other, which on this machine moved the ratio between 0.82 and 1.27 from run to run.
/// Reports the median time per verify of each side and the median of the per-round ratios.
/// </summary>
public static class SideBySide
{
    private const int VerifiesPerRound = 2_000;

    public static int Run(int rounds)
    {
        var benchmark = new SignatureVerifyBenchmark();
        benchmark.Setup();
        if (!benchmark.NSecVerify() || !benchmark.TufSignatureVerifier()) throw new InvalidOperationException("the signature does not verify");
        for (var i = 0; i < 3; i++) { Time(benchmark.NSecVerify); Time(benchmark.TufSignatureVerifier); } // warm-up: tier-1 code
        var library = new List<double>();
        var layer = new List<double>();
        var ratios = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            double a, b;
            if (round % 2 == 0) { a = Time(benchmark.NSecVerify); b = Time(benchmark.TufSignatureVerifier); }
            else { b = Time(benchmark.TufSignatureVerifier); a = Time(benchmark.NSecVerify); }
            library.Add(a);
            layer.Add(b);
            ratios.Add(b / a);
        }
        Console.WriteLine($"{rounds} rounds of {VerifiesPerRound:N0} verifies each side, 512-byte message, ed25519");
        Console.WriteLine($"NSec verify:            median {Median(library):F1} µs  ({1e6 / Median(library):N0}/s on one core)");
        Console.WriteLine($"TUF SignatureVerifier:  median {Median(layer):F1} µs");
        Console.WriteLine($"ratio layer / library:  median {Median(ratios):F3} (per round: min {ratios.Min():F3}, max {ratios.Max():F3})");
        return 0;
    }

    /// <summary>Microseconds per verify over one round.</summary>
    private static double Time(Func<bool> verify)
    {
        var clock = Stopwatch.StartNew();
        var ok = true;
        for (var i = 0; i < VerifiesPerRound; i++) ok &= verify();
        if (!ok) throw new InvalidOperationException("a verify failed");
        return clock.Elapsed.TotalMicroseconds / VerifiesPerRound;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
