using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Edge.Simulation;
using FleetOrchestrator.Edge.Tests.Fetch;
using FleetOrchestrator.Edge.Tests;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.TestSupport;
using static FleetOrchestrator.EndToEnd.Tests.EdgeScenario;

namespace FleetOrchestrator.EndToEnd.Tests.Simulation;

/// <summary><c>fleet-edge simulate</c> as a process against a real node and registry: only the container runtime is simulated.</summary>
[Collection(PublishedAppsCollection.Name)]
public sealed class SimulateCommandTests
{
    private static readonly string[] Devices = ["sim-1", "sim-2", "sim-3"];

    [Fact]
    public async Task Simulated_devices_register_install_and_report_and_all_roll_back_a_version_whose_app_fails()
    {
        await using var factory = await EdgeFactory.StartAsync();
        var (registry, containers, node) = (factory.Registry, factory.Containers, factory.Node);
        using var data = new TempDirectory();
        await PublishAsync(node, containers, 1);
        var shared = SimulationSettings(data, registry);

        var simulation = FleetEdgeProcess.Start("simulate", "--gateway", node.GatewayUrl.AbsoluteUri, "--token", node.Token, "--devices", "3",
            "--group", "canary", "--poll-interval", "1s", "--report-every", "1s", "--config", shared, "--data-dir", data.Combine("sim"));
        try
        {
            // Each device registered with its own certificate, installed target 1 and reported healthy apps.
            await WaitForTwinsAsync(node, simulation, twin => twin.CurrentTarget == "acme-1" && twin.AppHealth == AppHealth.Healthy);
            foreach (var device in Devices)
            {
                var twin = await node.TwinAsync(device);
                Assert.Equal(("generic", "main", "canary"), (twin.Registration!.HardwareId, twin.Registration.Tag, twin.Registration.Group));
                // The bundle was downloaded, verified and extracted into the device's own apps root.
                Assert.True(File.Exists(Path.Combine(data.Path, "sim", "devices", device, "compose-apps", "httpd", "www", "index.html")));
            }

            // Version 2's httpd cannot start: every device rolls back to target 1 and reports the failure.
            containers.Write("httpd/docker-compose.yml", $$"""
                version: "3"
                services:
                  web:
                    image: offline/busybox:static
                    command: ["sh", "-c", "exit 3"]
                    labels:
                      {{SimulatedRuntime.FailLabel}}: fail
                """);
            await containers.CommitAsync("httpd: broken");
            await PublishAsync(node, containers, 2);
            await WaitForTwinsAsync(node, simulation, twin => twin.Installs.Any(i => i.CorrelationId.StartsWith("2-", StringComparison.Ordinal) && i.Success == false));
            foreach (var device in Devices)
            {
                var twin = await node.TwinAsync(device);
                Assert.Equal("acme-1", twin.CurrentTarget);
                var failed = twin.Installs.Single(i => i.CorrelationId.StartsWith("2-", StringComparison.Ordinal));
                Assert.Equal(DeviceStatuses.InstallFailed, twin.Status);
                Assert.Contains("rolled back to acme-1", failed.Details);
            }
        }
        finally
        {
            await FleetEdgeProcess.InterruptAsync(simulation.ProcessId);
        }
        var stopped = await simulation;
        Assert.True(stopped.ExitCode == 0, stopped.StandardError);
        Assert.Contains("simulating 3 devices (3 newly registered)", stopped.StandardOutput);
        Assert.Contains("3 devices: acme-1 3;", stopped.StandardOutput);
    }

    [Theory]
    [InlineData("--devices", "0", "--devices must be from 1 to 100000, got 0")]
    [InlineData("--fail-rate", "1.5", "--fail-rate must be from 0 to 1, got 1.5")]
    [InlineData("--prefix", "Bad_Name", "--prefix \"Bad_Name\" must be 1-51 of a-z 0-9 -")]
    [InlineData("--poll-interval", "soon", "--poll-interval must be a duration from 1s to 1d such as 10s or 5m, got 'soon'")]
    public async Task Bad_switches_are_refused_before_anything_is_registered(string option, string value, string message)
    {
        using var data = new TempDirectory();
        var arguments = new Dictionary<string, string>
        {
            ["--gateway"] = "https://127.0.0.1:1/", ["--token"] = "t", ["--devices"] = "2", ["--data-dir"] = data.Path,
            [option] = value,
        };

        var result = await FleetEdgeProcess.RunAsync(["simulate", .. arguments.SelectMany(a => new[] { a.Key, a.Value })]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.StandardError);
        Assert.Empty(Directory.GetFileSystemEntries(data.Path));
    }

    private static async Task WaitForTwinsAsync(RunningNode node, CliWrap.CommandTask<CliWrap.Buffered.BufferedCommandResult> simulation, Func<DeviceDetails, bool> done)
    {
        for (var attempt = 0; attempt < 240; attempt++)
        {
            if (simulation.Task.IsCompleted) Assert.Fail($"simulate stopped: {(await simulation).StandardError}");
            var all = true;
            foreach (var device in Devices)
            {
                DeviceDetails twin;
                try { twin = await node.TwinAsync(device); }
                catch (Akka.Actor.AskTimeoutException) { all = false; break; }
                if (!done(twin)) { all = false; break; }
            }
            if (all) return;
            await Task.Delay(500);
        }
        Assert.Fail("the simulated devices did not get there within 2 minutes");
    }
}
