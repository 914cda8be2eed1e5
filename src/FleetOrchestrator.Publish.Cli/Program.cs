using System.CommandLine;
using System.Text.Json;
using FleetOrchestrator.Oci;
using FleetOrchestrator.Publishing;

// fleet-publish: publish a containers.git revision and print the TUF target it makes.
var repo = new Option<string>("--repo") { Description = "containers.git checkout (or git URL)", Required = true };
var registry = new Option<string>("--registry") { Description = "factory registry, host[:port]", Required = true };
var factory = new Option<string>("--factory") { Description = "factory name: images go to <registry>/<factory>/...", Required = true };
var gitRef = new Option<string>("--ref") { Description = "git ref to publish", DefaultValueFactory = _ => "HEAD" };
var tag = new Option<string>("--tag") { Description = "target tag", DefaultValueFactory = _ => PublishRequest.DefaultTag };
var hardwareIds = new Option<string[]>("--hardware-id") { Description = $"hardware id (repeatable; default {PublishRequest.DefaultHardwareId})", AllowMultipleArgumentsPerToken = false };
var version = new Option<long?>("--version") { Description = "target version (default: number of commits on the ref)" };
var plainHttp = new Option<bool>("--plain-http") { Description = "talk to registries over http (loopback and test registries)" };
var mirrors = new Option<string[]>("--registry-mirror") { Description = "resolve a domain's images through a mirror: <domain>=<host:port> (repeatable)" };
var output = new Option<FileInfo?>("--out") { Description = "write the target JSON to this file instead of stdout" };
var quiet = new Option<bool>("--quiet", "-q") { Description = "no progress output on stderr" };

var root = new RootCommand("Publish the compose apps of a containers.git revision as digest-pinned OCI artifacts and print the TUF target.")
{
    repo, registry, factory, gitRef, tag, hardwareIds, version, plainHttp, mirrors, output, quiet,
};
// --version is the target version here, not the tool's: drop the built-in option of that name.
foreach (var builtIn in root.Options.OfType<VersionOption>().ToList()) root.Options.Remove(builtIn);
root.SetAction(async (parse, ct) =>
{
    var mirrorMap = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
    foreach (var entry in parse.GetValue(mirrors) ?? [])
    {
        var parts = entry.Split('=', 2);
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            await Console.Error.WriteLineAsync($"error: --registry-mirror '{entry}' must be <domain>=<host:port>");
            return 2;
        }
        mirrorMap[parts[0]] = parts[1];
    }
    var request = new PublishRequest(
        parse.GetValue(repo)!, parse.GetValue(registry)!, parse.GetValue(factory)!,
        parse.GetValue(gitRef)!, parse.GetValue(tag)!, parse.GetValue(hardwareIds), parse.GetValue(version),
        parse.GetValue(plainHttp), mirrorMap);
    var progress = parse.GetValue(quiet) ? null : new SynchronousProgress(p => Console.Error.WriteLine(p));
    try
    {
        var result = await new PublishPipeline(progress).RunAsync(request, ct);
        var json = result.Target.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        if (parse.GetValue(output) is { } file)
        {
            await File.WriteAllTextAsync(file.FullName, json + "\n", ct);
            await Console.Error.WriteLineAsync($"target {result.Target.Name} written to {file.FullName}");
        }
        else Console.WriteLine(json);
        return 0;
    }
    catch (Exception e) when (e is PublishException or OciException)
    {
        await Console.Error.WriteLineAsync($"error: {e.Message}");
        return 1;
    }
});
return await root.Parse(args).InvokeAsync();

/// <summary>Progress written as it happens, in order (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SynchronousProgress(Action<PublishProgress> report) : IProgress<PublishProgress>
{
    private readonly Lock _lock = new();
    public void Report(PublishProgress value) { lock (_lock) report(value); }
}
