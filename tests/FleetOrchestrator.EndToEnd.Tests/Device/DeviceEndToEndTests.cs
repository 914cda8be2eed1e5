using System.Text.Json.Nodes;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Tests.Fetch;
using FleetOrchestrator.Edge.Tests;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.TestSupport;
using static FleetOrchestrator.EndToEnd.Tests.EdgeScenario;

namespace FleetOrchestrator.EndToEnd.Tests.Device;

/// <summary>
/// A real node (gateway, publisher, TUF registry), a registry process and the Docker engine; <c>fleet-edge</c> runs
/// as a process: register, then one <c>update --once</c> per step. In the compose collection: httpd binds 127.0.0.1:18080.
/// </summary>
[Collection(PublishedAppsCollection.Name)]
public sealed class DeviceEndToEndTests
{
    [Fact]
    public async Task Install_update_rollback_and_deselection_of_published_apps()
    {
        await using var factory = await EdgeFactory.StartAsync();
        var (registry, containers, node) = (factory.Registry, factory.Containers, factory.Node);
        using var device = new TempDirectory();
        try
        {
            await PublishAsync(node, containers, 1);
            await factory.RegisterDeviceAsync(device.Path, "e2e-device", "httpd, simple-app",
                "confirmation-window = 3s, start-timeout = 90s, check-interval = 500ms", extra: "outbox.retry-interval = 1s");

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

            // 7. The daemon polls and installs a new target by itself; Ctrl+C stops it cleanly.
            containers.Write("httpd/www/index.html", "compose-apps version six\n");
            await containers.CommitAsync("httpd: version six");
            await PublishAsync(node, containers, 6);
            await File.AppendAllTextAsync(config, "fleet.edge { poll-interval = 1s, poll-jitter = 0s }\n");
            var daemon = FleetEdgeProcess.Start("run", "--data-dir", device.Path);
            var installed = false;
            for (var attempt = 0; attempt < 240 && !installed && !daemon.Task.IsCompleted; attempt++)
            {
                await Task.Delay(500);
                installed = (string?)(await StatusAsync(device.Path))["target"] == "acme-6";
            }
            var locked = await UpdateOnceAsync(device.Path);
            await FleetEdgeProcess.InterruptAsync(daemon.ProcessId);
            var stopped = await daemon;
            Assert.True(installed, stopped.StandardError);
            Assert.Contains("version six", await HttpdBodyAsync());
            Assert.Equal(1, locked.ExitCode);
            Assert.Contains("another fleet-edge agent is running", locked.StandardError);
            Assert.True(stopped.ExitCode == 0, $"exit {stopped.ExitCode}: {stopped.StandardError}");
        }
        finally
        {
            await EdgeScenario.RemoveContainersAsync();
        }
    }
}
