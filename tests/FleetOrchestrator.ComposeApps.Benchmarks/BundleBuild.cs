using System.Diagnostics;
using FleetOrchestrator.ComposeApps.Bundles;
using FleetOrchestrator.ComposeApps.Ignore;

namespace FleetOrchestrator.ComposeApps.Benchmarks;

/// <summary>The two contenders, each timed from start to digest.</summary>
internal static class BundleBuild
{
    public static async Task<(double Seconds, long Bytes)> MeasureWriterAsync(string tree)
    {
        var compose = await File.ReadAllBytesAsync(Path.Combine(tree, IgnoreRules.ComposeFileName));
        var stopwatch = Stopwatch.StartNew();
        var result = await BundleWriter.WriteAsync(tree, IgnoreRules.None, compose, Stream.Null);
        return (stopwatch.Elapsed.TotalSeconds, result.Size);
    }

    /// <summary>The shell pipeline with gzip's default level; returns its time and the sha256sum line.</summary>
    public static async Task<double> MeasurePipelineAsync(string tree)
    {
        var stopwatch = Stopwatch.StartNew();
        var output = await RunShellAsync("tar -cf - -C \"$1\" . | gzip -6 | sha256sum", tree);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        if (output.Length < 64)
        {
            throw new InvalidOperationException($"tar | gzip | sha256sum printed \"{output}\" instead of a digest.");
        }

        return seconds;
    }

    /// <summary>Size of the pipeline's gzip output, measured outside the timed runs.</summary>
    public static async Task<long> PipelineOutputBytesAsync(string tree) =>
        long.Parse(await RunShellAsync("tar -cf - -C \"$1\" . | gzip -6 | wc -c", tree), System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<string> RunShellAsync(string script, string tree)
    {
        var startInfo = new ProcessStartInfo("sh", ["-c", script, "bench", tree]) { RedirectStandardOutput = true };
        using var process = Process.Start(startInfo)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"\"{script}\" failed with exit code {process.ExitCode}.");
        }

        return output.Trim();
    }
}
