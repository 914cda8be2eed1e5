using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using CliWrap.Buffered;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Tests.Fetch;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace FleetOrchestrator.Edge.Tests.EndToEnd;

/// <summary>
/// A real node (gateway, publisher, TUF registry), a registry process and the Docker engine; <c>fleet-edge</c> runs
/// as a process: register, then one <c>update --once</c> per step. In the compose collection: httpd binds 127.0.0.1:18080.
/// </summary>
[Collection(PublishedAppsCollection.Name)]
public sealed class DeviceEndToEndTests
{
    private static readonly string[] Projects = ["httpd", "simple-app", "hello-world-app"];

    [Fact]
    public async Task Install_update_rollback_and_deselection_of_published_apps()
    {
        await DockerEngine.RequireAsync();
        await using var registry = await RegistryProcess.StartAsync();
        await DockerEngine.PushAsync(await DockerEngine.BusyboxImageAsync(), registry.Address, "offline/busybox", "static");
        using var containers = await ContainersGit.FromExamplesAsync(registry.Address, "acme");
        await using var node = await RunningNode.StartAsync(registry.Address);
        using var device = new TempDirectory();
        try
        {
            await PublishAsync(node, containers, 1);
            var registered = await EdgeAsync("register", "--gateway", node.GatewayUrl.AbsoluteUri, "--token", node.Token, "--hardware-id", "generic",
                "--name", "e2e-device", "--tag", "main", "--data-dir", device.Path);
            Assert.True(registered.ExitCode == 0, registered.StandardError);
            await File.AppendAllTextAsync(Path.Combine(device.Path, EdgeSettings.ConfigFileName), $$"""
                fleet.edge {
                  apps = [httpd, simple-app]
                  compose-command = docker-compose
                  health { confirmation-window = 3s, start-timeout = 90s, check-interval = 500ms }
                  registry { plain-http = true, mirrors { "docker.io" = "{{registry.Address}}" } }
                  outbox.retry-interval = 1s
                }
                """);

            // 1. First install: the published httpd app answers on its port.
            var first = await UpdateOnceAsync(device.Path);
            Assert.True(first.ExitCode == 0, first.StandardError + first.StandardOutput);
            Assert.Contains("acme-1", first.StandardOutput);
            Assert.Contains("compose-apps", await HttpdBodyAsync());
            var statusText = (await EdgeAsync("status", "--json", "--data-dir", device.Path)).StandardOutput;
            var status = JsonNode.Parse(statusText)!;
            Assert.True((string?)status["target"] == "acme-1", statusText + "\n" + first.StandardOutput);
            Assert.Equal("healthy", (string?)status["apps"]!["httpd"]!["state"]);
            Assert.Equal("healthy", (string?)status["apps"]!["simple-app"]!["state"]);
            Assert.Null(status["apps"]!["hello-world-app"]); // not selected

            // 2. A published change reaches the device.
            containers.Write("httpd/www/index.html", "compose-apps version two\n");
            await containers.CommitAsync("httpd: version two");
            await PublishAsync(node, containers, 2);
            var second = await UpdateOnceAsync(device.Path);
            Assert.True(second.ExitCode == 0, second.StandardError + second.StandardOutput);
            Assert.Contains("version two", await HttpdBodyAsync());

            // 3. A target whose app cannot start is rolled back, marked failed and reported.
            containers.Write("httpd/docker-compose.yml", """
                version: "3"
                services:
                  web:
                    image: offline/busybox:static
                    command: ["sh", "-c", "exit 3"]
                """);
            await containers.CommitAsync("httpd: broken");
            await PublishAsync(node, containers, 3);
            var broken = await UpdateOnceAsync(device.Path);
            Assert.True(broken.ExitCode == 110, $"exit {broken.ExitCode}: {broken.StandardError}{broken.StandardOutput}");
            Assert.Contains("exited with code 3", broken.StandardError);
            Assert.Contains("version two", await HttpdBodyAsync());
            status = JsonNode.Parse((await EdgeAsync("status", "--json", "--data-dir", device.Path)).StandardOutput)!;
            Assert.Equal("acme-2", (string?)status["target"]);
            Assert.Equal(["acme-3"], status["failedTargets"]!.AsArray().Select(t => (string)t!));
            var completed = ReportsInJournal(device.Path).Where(r => r.Contains("EcuInstallationCompleted")).Select(r => JsonNode.Parse(r)!).ToList();
            var failure = Assert.Single(completed, e => (string?)e["event"]!["targetName"] == "acme-3");
            Assert.False((bool)failure["event"]!["success"]!);
            Assert.StartsWith("3-", (string?)failure["event"]!["correlationId"]);
            Assert.Contains("exited with code 3", (string?)failure["event"]!["details"]);

            // The failed target is not tried again: the next cycle keeps acme-2.
            var again = await UpdateOnceAsync(device.Path);
            Assert.True(again.ExitCode == 0, again.StandardError + again.StandardOutput);
            Assert.Contains("UpToDate", again.StandardOutput);

            // 4. Deselecting an app stops and removes it.
            await File.AppendAllTextAsync(Path.Combine(device.Path, EdgeSettings.ConfigFileName), "\nfleet.edge.apps = [httpd]\n");
            var deselected = await UpdateOnceAsync(device.Path);
            Assert.True(deselected.ExitCode == 0, deselected.StandardError + deselected.StandardOutput);
            Assert.Empty(await ContainersOfAsync("simple-app"));
            Assert.False(Directory.Exists(Path.Combine(device.Path, "compose-apps", "simple-app")));
            Assert.Contains("version two", await HttpdBodyAsync());

            // 5. A registry that cannot be reached defers the update (retried with back-off, then next cycle); nothing is marked bad.
            var config = Path.Combine(device.Path, EdgeSettings.ConfigFileName);
            containers.Write("httpd/docker-compose.yml", await File.ReadAllTextAsync(Path.Combine(ContainersGit.RepositoryRoot(), "examples", "containers", "httpd", "docker-compose.yml")));
            containers.Write("httpd/www/index.html", "compose-apps version four\n");
            await containers.CommitAsync("httpd: version four");
            await PublishAsync(node, containers, 4);
            await File.AppendAllTextAsync(config, $$"""

                fleet.edge.fetch { attempts = 2, min-backoff = 100ms }
                fleet.edge.registry.mirrors { "{{registry.Address}}" = "127.0.0.1:9" }

                """);
            var unreachable = await UpdateOnceAsync(device.Path);
            Assert.True(unreachable.ExitCode == 1, $"exit {unreachable.ExitCode}: {unreachable.StandardError}");
            Assert.Contains("Deferred: download of acme-4 failed, will retry next cycle", unreachable.StandardError);
            status = JsonNode.Parse((await EdgeAsync("status", "--json", "--data-dir", device.Path)).StandardOutput)!;
            Assert.Equal(["acme-3"], status["failedTargets"]!.AsArray().Select(t => (string)t!));
            Assert.Contains("version two", await HttpdBodyAsync());
            await File.AppendAllTextAsync(config, $$"""
                fleet.edge.registry.mirrors { "{{registry.Address}}" = "{{registry.Address}}" }

                """);
            var reachable = await UpdateOnceAsync(device.Path);
            Assert.True(reachable.ExitCode == 0, reachable.StandardError + reachable.StandardOutput);
            Assert.Contains("version four", await HttpdBodyAsync());

            // 6. A bundle tampered with in the registry's storage is refused, the target marked failed, the apps untouched.
            containers.Write("httpd/www/index.html", "compose-apps version five\n");
            await containers.CommitAsync("httpd: version five");
            var fifth = await PublishAsync(node, containers, 5);
            var bundle = StoragePathOf(registry, BundleDigestOf(registry, fifth.AppUris["httpd"]));
            var bytes = await File.ReadAllBytesAsync(bundle);
            bytes[^10] ^= 0xff;
            await File.WriteAllBytesAsync(bundle, bytes);
            var tampered = await UpdateOnceAsync(device.Path);
            Assert.True(tampered.ExitCode == 1, $"exit {tampered.ExitCode}: {tampered.StandardError}");
            Assert.Contains("Refused: acme-5 refused and marked failed on this device", tampered.StandardError);
            Assert.Contains("digest", tampered.StandardError);
            status = JsonNode.Parse((await EdgeAsync("status", "--json", "--data-dir", device.Path)).StandardOutput)!;
            Assert.Equal("acme-4", (string?)status["target"]);
            Assert.Equal(["acme-3", "acme-5"], status["failedTargets"]!.AsArray().Select(t => (string)t!));
            Assert.Contains("version four", await HttpdBodyAsync());
        }
        finally
        {
            foreach (var project in Projects)
                foreach (var id in await ContainersOfAsync(project))
                    await DockerEngine.RunAsync("rm", "-f", id);
        }
    }

    private static async Task<TargetPublished> PublishAsync(RunningNode node, ContainersGit containers, long version)
    {
        var publisher = await node.App.Services.GetRequiredService<ActorRegistry>().GetAsync<PublisherActor>();
        var published = await publisher.Ask<object>(new PublishTarget(containers.Path, "main", "main", ["generic"], version), TimeSpan.FromMinutes(3));
        var target = Assert.IsType<TargetPublished>(published);
        var (_, certificate) = await node.RegisterAsync($"probe-{version}");
        using (certificate) await node.WaitForTargetsVersionAsync(certificate, target.TargetsVersion);
        return target;
    }

    /// <summary>The file the registry serves for a blob, in its filesystem storage.</summary>
    private static string StoragePathOf(RegistryProcess registry, string digest)
    {
        var hex = digest["sha256:".Length..];
        return Path.Combine(registry.RootDirectory, "data", "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
    }

    /// <summary>The bundle layer's digest of an app, read from its manifest in the registry's storage.</summary>
    private static string BundleDigestOf(RegistryProcess registry, string appUri)
    {
        var manifest = JsonNode.Parse(File.ReadAllText(StoragePathOf(registry, appUri[(appUri.IndexOf('@') + 1)..])))!;
        return (string)manifest["layers"]![0]!["digest"]!;
    }

    private static Task<BufferedCommandResult> UpdateOnceAsync(string dataDirectory) => EdgeAsync("update", "--once", "--data-dir", dataDirectory);

    private static Task<BufferedCommandResult> EdgeAsync(params string[] args) => FleetEdgeProcess.RunAsync(args);

    private static async Task<string> HttpdBodyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var attempt = 0; ; attempt++)
        {
            try { return await http.GetStringAsync("http://127.0.0.1:18080/"); }
            catch (HttpRequestException) when (attempt < 20) { await Task.Delay(250); }
        }
    }

    private static async Task<string[]> ContainersOfAsync(string project) =>
        (await DockerEngine.RunAsync("ps", "-aq", "--filter", $"label=com.docker.compose.project={project}"))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The reports the agent's outbox recorded, read from its SQLite journal (the JSON of each device event).</summary>
    private static List<string> ReportsInJournal(string dataDirectory)
    {
        var reports = new List<string>();
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "agent.db")};Mode=ReadOnly");
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
