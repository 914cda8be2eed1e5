using System.Diagnostics;
using System.Security.Cryptography;
using CliWrap;
using FleetOrchestrator.Edge.Fetch;
using FleetOrchestrator.Edge.Install;
using FleetOrchestrator.Oci;
using FleetOrchestrator.Publishing;
using FleetOrchestrator.TestSupport;

// Edge agent benchmark (docs/benchmarks.md, "Edge agent"):
//   bundle [--megabytes 200] [--rounds 5]
// Publishes an app carrying one incompressible file of the given size to a registry process on loopback, then
// times, alternately, the agent's fetch + verify + extract (AppFetcher into an empty store, AppInstaller with
// every file checked against the bundle index) and `curl | tee >(sha256sum) | tar -xz` of the same bundle blob.
var values = new Dictionary<string, string>();
for (var i = 1; i + 1 < args.Length; i += 2) values[args[i].TrimStart('-')] = args[i + 1];
if (args.FirstOrDefault() != "bundle")
{
    Console.Error.WriteLine("usage: bundle [--megabytes 200] [--rounds 5]");
    return 2;
}
var megabytes = int.Parse(values.GetValueOrDefault("megabytes", "200"));
var rounds = int.Parse(values.GetValueOrDefault("rounds", "5"));

await using var registry = await RegistryProcess.StartAsync();
await DockerEngine.PushAsync(await DockerEngine.BusyboxImageAsync(), registry.Address, "offline/busybox", "static");
using var repo = await ContainersGit.CreateAsync();
repo.Write("big/docker-compose.yml", "services:\n  web:\n    image: offline/busybox:static\n    volumes: [\"./data:/data:ro\"]\n");
Directory.CreateDirectory(Path.Combine(repo.Path, "big", "data"));
await using (var file = File.Create(Path.Combine(repo.Path, "big", "data", "payload.bin")))
{
    var chunk = new byte[1 << 20];
    for (var written = 0; written < megabytes; written++)
    {
        RandomNumberGenerator.Fill(chunk);
        await file.WriteAsync(chunk);
    }
}
await repo.CommitAsync("big app");
var mirrors = new Dictionary<string, string> { [ImageReference.DockerHubDomain] = registry.Address };
var published = await new PublishPipeline().RunAsync(new PublishRequest(repo.Path, registry.Address, "bench", PlainHttp: true, Mirrors: mirrors));
var app = published.Apps.Single(a => a.Name == "big");
var client = new OciRegistryClient(new RegistryClientOptions { PlainHttp = true, Credentials = _ => null });
using var work = new TempDirectory();
var probe = await new AppFetcher(client, new BlobStore(work.Combine("probe"))).FetchAsync(app.Uri, CancellationToken.None);
var bundleDigest = probe.Manifest.BundleDigest;
var bundleBytes = new FileInfo(probe.BundlePath).Length;
var blobUrl = $"http://{registry.Address}/v2/{probe.Uri.Repository}/blobs/{bundleDigest}";
Console.WriteLine($"app {app.Uri}: bundle {bundleBytes / 1e6:F1} MB ({megabytes} MiB of random data)");

var agent = new List<double>();
var pipeline = new List<double>();
for (var round = 0; round < rounds; round++)
{
    var ours = work.Combine($"agent-{round}");
    var clock = Stopwatch.StartNew();
    var fetched = await new AppFetcher(client, new BlobStore(Path.Combine(ours, "store"))).FetchAsync(app.Uri, CancellationToken.None);
    await new AppInstaller(Path.Combine(ours, "apps")).InstallAsync("big", fetched, CancellationToken.None);
    agent.Add(clock.Elapsed.TotalSeconds);
    Directory.Delete(ours, recursive: true);

    var theirs = work.Combine($"curl-{round}");
    Directory.CreateDirectory(theirs);
    clock.Restart();
    await Cli.Wrap("bash").WithArguments(["-c", $"set -o pipefail; curl -fsS '{blobUrl}' | tee >(sha256sum >/dev/null) | tar -xz -C '{theirs}'"]).ExecuteAsync();
    pipeline.Add(clock.Elapsed.TotalSeconds);
    Directory.Delete(theirs, recursive: true);
    Console.WriteLine($"round {round + 1}: agent {agent[^1]:F2} s, curl|tee|tar {pipeline[^1]:F2} s");
}
static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
Console.WriteLine($"median: agent {Median(agent):F2} s ({bundleBytes / 1e6 / Median(agent):F0} MB/s), curl|tee|tar {Median(pipeline):F2} s; ratio {Median(agent) / Median(pipeline):F2} (target <= 1.20)");
return 0;
