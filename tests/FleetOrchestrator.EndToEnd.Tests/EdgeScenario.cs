using FleetOrchestrator.Edge.Configuration;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using CliWrap.Buffered;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.Edge.Tests;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace FleetOrchestrator.EndToEnd.Tests;

/// <summary>
/// The factory of an end-to-end test: the Docker engine (required), a registry process holding offline/busybox:static
/// (the docker.io mirror of an air-gapped factory), examples/containers as a git repository naming that registry,
/// and a running node. Disposed node first, registry last.
/// </summary>
public sealed class EdgeFactory : IAsyncDisposable
{
    private EdgeFactory(RegistryProcess registry, ContainersGit containers, RunningNode node) => (Registry, Containers, Node) = (registry, containers, node);

    public RegistryProcess Registry { get; }
    public ContainersGit Containers { get; }
    public RunningNode Node { get; }

    /// <param name="hocon">Node tunables over the shipped ones (see <see cref="RunningNode.StartAsync"/>).</param>
    public static async Task<EdgeFactory> StartAsync(string? hocon = null)
    {
        await DockerEngine.RequireAsync(); // publishing builds the example containers
        var registry = await RegistryProcess.StartAsync();
        await DockerEngine.PushAsync(await DockerEngine.BusyboxImageAsync(), registry.Address, "offline/busybox", "static");
        var containers = await ContainersGit.FromExamplesAsync(registry.Address, "acme");
        return new EdgeFactory(registry, containers, await RunningNode.StartAsync(registry.Address, hocon));
    }

    /// <summary>
    /// <c>fleet-edge register</c> of a device of tag main into <paramref name="dataDirectory"/>, then the settings of a device
    /// whose apps run in the local engine: <paramref name="apps"/>, docker-compose, <paramref name="health"/>, and this
    /// registry as the plain-HTTP docker.io mirror; <paramref name="extra"/> is added inside <c>fleet.edge</c>.
    /// </summary>
    public async Task RegisterDeviceAsync(string dataDirectory, string name, string apps, string health, string extra = "")
    {
        var registered = await EdgeScenario.EdgeAsync("register", "--gateway", Node.GatewayUrl.AbsoluteUri, "--token", Node.Token,
            "--hardware-id", "generic", "--name", name, "--tag", "main", "--data-dir", dataDirectory);
        Assert.True(registered.ExitCode == 0, registered.StandardError);
        await File.AppendAllTextAsync(Path.Combine(dataDirectory, EdgeSettings.ConfigFileName), $$"""
            fleet.edge {
              apps = [{{apps}}]
              compose-command = docker-compose
              health { {{health}} }
              registry { plain-http = true, mirrors { "docker.io" = "{{Registry.Address}}" } }
              {{extra}}
            }
            """);
    }

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        Containers.Dispose();
        await Registry.DisposeAsync();
    }
}

/// <summary>Steps shared by the device end-to-end and crash tests: publish through the node, run fleet-edge, look at the device.</summary>
public static class EdgeScenario
{
    /// <summary>Compose projects the example apps create on the engine.</summary>
    public static readonly string[] Projects = ["httpd", "simple-app", "hello-world-app"];

    public static async Task RemoveContainersAsync()
    {
        foreach (var project in Projects)
            foreach (var id in await ContainersOfAsync(project))
                await DockerEngine.RunAsync("rm", "-f", id);
    }

    public static Task<BufferedCommandResult> EdgeAsync(params string[] args) => FleetEdgeProcess.RunAsync(args);

    /// <summary>Writes the settings <c>fleet-edge simulate --config</c> lays over every simulated device: a 1 s health window, the registry as mirror.</summary>
    public static string SimulationSettings(TempDirectory data, RegistryProcess registry) => data.Write("shared.conf", $$"""
        fleet.edge {
          health { confirmation-window = 1s, check-interval = 200ms }
          registry { plain-http = true, mirrors { "docker.io" = "{{registry.Address}}" } }
        }
        """);

    public static async Task<JsonNode> StatusAsync(string dataDirectory) =>
        JsonNode.Parse((await FleetEdgeProcess.RunAsync("status", "--json", "--data-dir", dataDirectory)).StandardOutput)!;

    /// <summary>
    /// Publishes the containers' main branch as <paramref name="version"/> for <paramref name="tag"/>; for tag main, returns
    /// once a device of that tag is served the new targets.
    /// </summary>
    public static async Task<TargetPublished> PublishAsync(RunningNode node, ContainersGit containers, long version, string tag = "main")
    {
        var publisher = await node.App.Services.GetRequiredService<ActorRegistry>().GetAsync<PublisherActor>();
        var published = await publisher.Ask<object>(new PublishTarget(PublishTarget.NewJobId(), containers.Path, "main", tag, ["generic"], version), TimeSpan.FromMinutes(3));
        var target = Assert.IsType<TargetPublished>(published);
        if (tag != "main") return target;
        var (_, certificate) = await node.RegisterAsync($"probe-{version}");
        using (certificate) await node.WaitForTargetsVersionAsync(certificate, target.TargetsVersion);
        return target;
    }

    /// <summary>The file the registry serves for a blob, in its filesystem storage.</summary>
    public static string StoragePathOf(RegistryProcess registry, string digest)
    {
        var hex = digest["sha256:".Length..];
        return Path.Combine(registry.RootDirectory, "data", "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
    }

    /// <summary>The bundle layer's digest of an app, read from its manifest in the registry's storage.</summary>
    public static string BundleDigestOf(RegistryProcess registry, string appUri)
    {
        var manifest = JsonNode.Parse(File.ReadAllText(StoragePathOf(registry, appUri[(appUri.IndexOf('@') + 1)..])))!;
        return (string)manifest["layers"]![0]!["digest"]!;
    }

    public static Task<BufferedCommandResult> UpdateOnceAsync(string dataDirectory) => FleetEdgeProcess.RunAsync("update", "--once", "--data-dir", dataDirectory);


    public static async Task<string> HttpdBodyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var attempt = 0; ; attempt++)
        {
            try { return await http.GetStringAsync("http://127.0.0.1:18080/"); }
            catch (HttpRequestException) when (attempt < 20) { await Task.Delay(250); }
        }
    }

    public static async Task<string[]> ContainersOfAsync(string project) =>
        (await DockerEngine.RunAsync("ps", "-aq", "--filter", $"label=com.docker.compose.project={project}"))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The reports the agent's outbox recorded, read from its SQLite journal (the JSON of each device event).</summary>
    public static List<string> ReportsInJournal(string dataDirectory)
    {
        var reports = new List<string>();
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "agent.db")}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT message FROM journal WHERE manifest = 'edge.report-queued'";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var queued = JsonNode.Parse(Encoding.UTF8.GetString((byte[])reader[0]))!;
            if ((string?)queued["endpoint"] == "events") reports.Add((string)queued["json"]!);
        }
        return reports;
    }
}
