using FleetOrchestrator.CommandHost.Tests;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Edge.Tests.Fetch;
using FleetOrchestrator.Edge.Tests;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.TestSupport;
using static FleetOrchestrator.EndToEnd.Tests.EdgeScenario;

namespace FleetOrchestrator.EndToEnd.Tests.Simulation;

/// <summary>
/// An operator's <c>pbm devices config</c> reaching a device: the agent reads the gateway's <c>/config</c> each cycle and
/// follows its apps and tag over edge.conf. One simulated device (real agent, gateway, registry and bundles; no containers), so it is cheap.
/// </summary>
[Collection(PublishedAppsCollection.Name)]
public sealed class DeviceConfigTests
{
    [Fact]
    public async Task A_device_drops_the_apps_and_follows_the_tag_its_operator_set_with_devices_config()
    {
        await using var factory = await EdgeFactory.StartAsync();
        var (registry, containers, node) = (factory.Registry, factory.Containers, factory.Node);
        using var data = new TempDirectory();
        var published = await PublishAsync(node, containers, 1);
        var shared = SimulationSettings(data, registry);
        var appsRoot = Path.Combine(data.Path, "sim", "devices", "cfg-1", "compose-apps");

        var simulation = FleetEdgeProcess.Start("simulate", "--gateway", node.GatewayUrl.AbsoluteUri, "--token", node.Token, "--devices", "1",
            "--prefix", "cfg", "--poll-interval", "1s", "--report-every", "1s", "--config", shared, "--data-dir", data.Combine("sim"));
        try
        {
            var all = published.AppUris.Keys.Order(StringComparer.Ordinal).ToList();
            await UntilAsync(simulation, async () => (await node.TwinAsync("cfg-1")) is { CurrentTarget: "acme-1" } twin
                && twin.AppHealth == AppHealth.Healthy && twin.Apps!.Apps.Keys.Order(StringComparer.Ordinal).SequenceEqual(all));
            Assert.Contains("simple-app", all);

            var config = await PbmClient.RunAsync(await node.CommandHostAsync(), "devices", "config", ["cfg-1", "--tag", "main", "--apps", "httpd"]);
            Assert.True(config.End.ExitCode == 0, config.End.Message);
            Assert.Equal(["device cfg-1 follows tag main, apps httpd (its own config)"], config.Lines);

            // The next cycle reads the config: simple-app (and any other app) is stopped and its folder deleted.
            await UntilAsync(simulation, async () => (await node.TwinAsync("cfg-1")).Apps!.Apps.Keys.SequenceEqual(["httpd"]));
            await UntilAsync(simulation, () => Task.FromResult(Directory.GetDirectories(appsRoot).Select(Path.GetFileName).SequenceEqual(["httpd"])));
            var twin = await node.TwinAsync("cfg-1");
            Assert.Equal(("acme-1", DeviceStatuses.Installed), (twin.CurrentTarget, twin.Status));

            // Another tag: the gateway serves that tag's repository, whose versions are its own; the device follows it.
            var command = await node.CommandHostAsync();
            var tagged = await PbmClient.RunAsync(command, "targets", "tag", ["1", "--tag", "prod"]);
            Assert.True(tagged.End.ExitCode == 0, tagged.End.Message);
            var retagged = await PbmClient.RunAsync(command, "devices", "config", ["cfg-1", "--tag", "prod", "--apps", "httpd,simple-app"]);
            Assert.True(retagged.End.ExitCode == 0, retagged.End.Message);
            await UntilAsync(simulation, async () => (await node.TwinAsync("cfg-1")).Apps!.Apps.Keys.Order(StringComparer.Ordinal).SequenceEqual(["httpd", "simple-app"]));
            Assert.Equal(["cfg-1"], (await PbmClient.RunAsync(command, "devices", "list", ["--tag", "prod"])).Rows.Select(r => r["device"]));
        }
        finally
        {
            await FleetEdgeProcess.InterruptAsync(simulation.ProcessId);
        }
        var stopped = await simulation;
        Assert.True(stopped.ExitCode == 0, stopped.StandardError);
    }

    private static async Task UntilAsync(CliWrap.CommandTask<CliWrap.Buffered.BufferedCommandResult> simulation, Func<Task<bool>> done)
    {
        for (var deadline = DateTime.UtcNow.AddMinutes(2); DateTime.UtcNow < deadline; await Task.Delay(500))
        {
            if (simulation.Task.IsCompleted) Assert.Fail($"simulate stopped: {(await simulation).StandardError}");
            try
            {
                if (await done()) return;
            }
            catch (Akka.Actor.AskTimeoutException)
            {
                // the twin is starting: ask again
            }
        }
        Assert.Fail("the simulated device did not get there within 2 minutes");
    }
}
