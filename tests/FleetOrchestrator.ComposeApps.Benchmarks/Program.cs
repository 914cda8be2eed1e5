using System.Globalization;
using FleetOrchestrator.ComposeApps.Benchmarks;

// Bundle build figure: BundleWriter (tar + gzip + sha256 in one pass) against
// `tar -c | gzip | sha256sum` on the same generated tree, alternating in one run.
// Usage: FleetOrchestrator.ComposeApps.Benchmarks [--megabytes 200] [--rounds 3]
var megabytes = IntOption("--megabytes", 200);
var rounds = IntOption("--rounds", 3);
const double AllowedRatio = 1.25;

var tree = Directory.CreateTempSubdirectory("bundle-bench-").FullName;
try
{
    var generated = MixedTree.Generate(tree, megabytes * 1024L * 1024L, seed: 20261128);
    Console.WriteLine($"Tree: {generated.Files} files, {generated.Bytes / (1024.0 * 1024.0):F1} MiB ({generated.LargeFiles} large binaries) in {tree}");
    MixedTree.WarmPageCache(tree);

    var bundleTimes = new List<double>();
    var pipelineTimes = new List<double>();
    for (var round = 1; round <= rounds; round++)
    {
        var bundle = await BundleBuild.MeasureWriterAsync(tree);
        var pipeline = await BundleBuild.MeasurePipelineAsync(tree);
        bundleTimes.Add(bundle.Seconds);
        pipelineTimes.Add(pipeline);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"round {round}: BundleWriter {bundle.Seconds:F2} s ({bundle.Bytes / 1048576.0:F1} MiB out)   tar|gzip -6|sha256sum {pipeline:F2} s"));
    }

    var pipelineBytes = await BundleBuild.PipelineOutputBytesAsync(tree);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gzip -6 output: {pipelineBytes / 1048576.0:F1} MiB"));

    var bundleMedian = Median(bundleTimes);
    var pipelineMedian = Median(pipelineTimes);
    var ratio = bundleMedian / pipelineMedian;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"median: BundleWriter {bundleMedian:F2} s, tar|gzip -6|sha256sum {pipelineMedian:F2} s, ratio {ratio:F2} (limit {AllowedRatio:F2})"));
    return ratio <= AllowedRatio ? 0 : 1;
}
finally
{
    Directory.Delete(tree, recursive: true);
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

int IntOption(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}
