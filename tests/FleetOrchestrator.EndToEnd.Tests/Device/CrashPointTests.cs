using System.Text.Json.Nodes;
using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Tests.Fetch;
using FleetOrchestrator.Edge.Tests;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.TestSupport;
using static FleetOrchestrator.EndToEnd.Tests.EdgeScenario;

namespace FleetOrchestrator.EndToEnd.Tests.Device;

/// <summary>
/// Power cuts at every named point (<see cref="CrashPoints"/>): the update runs with the point armed and the agent kills
/// itself there (SIGKILL); the next <c>update --once</c> must leave the device on the old or the new target, complete
/// (files, running and healthy containers of that target, nothing half-installed), with every event of the update
/// reported exactly once. Real node, registry and engine, as in <see cref="DeviceEndToEndTests"/>.
/// </summary>
[Collection(PublishedAppsCollection.Name)]
public sealed class CrashPointTests
{
    [Fact]
    public async Task After_a_crash_at_any_point_the_next_run_ends_on_one_complete_target_with_no_event_lost()
    {
        await using var factory = await EdgeFactory.StartAsync();
        var (containers, node) = (factory.Containers, factory.Node);
        using var device = new TempDirectory();
        var simpleAppCompose = await File.ReadAllTextAsync(Path.Combine(containers.Path, "simple-app", "docker-compose.yml"));
        var version = 1L;
        try
        {
            await PublishVersionAsync(version);
            await factory.RegisterDeviceAsync(device.Path, "crash-device", "httpd, simple-app", "confirmation-window = 2s, start-timeout = 90s, check-interval = 500ms");
            var baseline = await UpdateOnceAsync(device.Path);
            Assert.True(baseline.ExitCode == 0, baseline.StandardError);
            await AssertRunsAsync(version);

            foreach (var point in CrashPoints.All.Where(p => p != CrashPoints.DuringRollback))
            {
                await PublishVersionAsync(++version);
                var crashed = await FleetEdgeProcess.RunAsync(["update", "--once", "--data-dir", device.Path],
                    new Dictionary<string, string?> { [CrashPoints.Variable] = point });
                Assert.True(crashed.ExitCode == 137, $"{point}: expected the agent to kill itself (137), got {crashed.ExitCode}: {crashed.StandardError}");

                var resumed = await UpdateOnceAsync(device.Path);

                Assert.True(resumed.ExitCode == 0, $"{point}: exit {resumed.ExitCode}: {resumed.StandardError}");
                await AssertRunsAsync(version, point);
                await AssertReportedOnceAsync(version, success: true, point);
            }

            // A crash in the middle of a rollback: the next run finishes it.
            containers.Write("httpd/docker-compose.yml", """
                version: "3"
                services:
                  web:
                    image: offline/busybox:static
                    command: ["sh", "-c", "exit 3"]
                """);
            await containers.CommitAsync("httpd: broken");
            await PublishAsync(node, containers, ++version);
            var crashedInRollback = await FleetEdgeProcess.RunAsync(["update", "--once", "--data-dir", device.Path],
                new Dictionary<string, string?> { [CrashPoints.Variable] = CrashPoints.DuringRollback });
            Assert.True(crashedInRollback.ExitCode == 137, $"exit {crashedInRollback.ExitCode}: {crashedInRollback.StandardError}");

            var rolledBack = await UpdateOnceAsync(device.Path);

            Assert.True(rolledBack.ExitCode == 110, $"exit {rolledBack.ExitCode}: {rolledBack.StandardError}");
            await AssertRunsAsync(version - 1, CrashPoints.DuringRollback);
            await AssertReportedOnceAsync(version, success: false, CrashPoints.DuringRollback);
        }
        finally
        {
            await RemoveContainersAsync();
        }

        async Task PublishVersionAsync(long v)
        {
            containers.Write("httpd/www/index.html", $"compose-apps v{v}\n");
            containers.Write("simple-app/docker-compose.yml", simpleAppCompose.Replace("this came from docker-compose.yml", $"simple-app v{v}"));
            await containers.CommitAsync($"v{v}");
            await PublishAsync(node, containers, v);
        }

        // The device runs target acme-<v> completely: recorded, files, both apps healthy with v's definitions, nothing left half-done.
        async Task AssertRunsAsync(long v, string? point = null)
        {
            var status = await StatusAsync(device.Path);
            Assert.True((string?)status["target"] == $"acme-{v}", $"{point}: {status}");
            Assert.Null(status["updateInProgress"]?.GetValue<string>());
            Assert.Equal("healthy", (string?)status["apps"]!["httpd"]!["state"]);
            Assert.Equal("healthy", (string?)status["apps"]!["simple-app"]!["state"]); // config-hash of v's definition
            Assert.Equal($"compose-apps v{v}\n", await HttpdBodyAsync());
            var appsRoot = Path.Combine(device.Path, "compose-apps");
            Assert.Equal($"compose-apps v{v}\n", await File.ReadAllTextAsync(Path.Combine(appsRoot, "httpd", "www", "index.html")));
            var leftovers = Directory.GetFileSystemEntries(appsRoot).Select(Path.GetFileName)
                .Where(name => name!.StartsWith('.') && !name.EndsWith(".mirrors.json", StringComparison.Ordinal));
            Assert.True(!leftovers.Any(), $"{point}: left in the apps root: {string.Join(", ", leftovers)}");
            var env = await DockerEngine.RunAsync("inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}",
                (await ContainersOfAsync("simple-app")).Single());
            Assert.Contains($"FROM_COMPOSE=simple-app v{v}", env);
        }

        // Every event of the update of version v reached the node exactly once, the closing one with its outcome. The
        // node's twin is asked, not the agent's journal: the outbox deletes journal rows after a snapshot.
        async Task AssertReportedOnceAsync(long v, bool success, string point)
        {
            var attempts = (await node.TwinAsync("crash-device")).Installs.Where(i => i.CorrelationId.StartsWith($"{v}-", StringComparison.Ordinal)).ToList();
            var attempt = Assert.Single(attempts);
            // Event ids are derived from correlation id, type and outcome: one id per event type of the update.
            var expected = success ? 5 : 4; // a failed update may or may not have reached InstallationApplied
            Assert.True(attempt.EventIds.Count == expected || (!success && attempt.EventIds.Count == expected + 1),
                $"{point}: {attempt.EventIds.Count} distinct events, last {attempt.LastEventType}");
            Assert.Equal(DeviceEventTypes.InstallationCompleted, attempt.LastEventType);
            Assert.Equal(success, attempt.Success);
        }
    }
}
