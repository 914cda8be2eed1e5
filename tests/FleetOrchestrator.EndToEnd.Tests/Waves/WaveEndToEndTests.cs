using System.Text.Json;
using FleetOrchestrator.CommandHost.Tests;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Edge.Simulation;
using FleetOrchestrator.Edge.Tests.Fetch;
using FleetOrchestrator.Edge.Tests;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.TestSupport;
using static FleetOrchestrator.EndToEnd.Tests.EdgeScenario;

namespace FleetOrchestrator.EndToEnd.Tests.Waves;

/// <summary>
/// Waves as operators run them with pbm, against a real node and registry and simulated devices that really download,
/// verify and extract every target (only their container runtime is simulated).
/// </summary>
[Collection(PublishedAppsCollection.Name)]
public sealed class WaveEndToEndTests
{
    private static readonly string[] Devices = ["sim-1", "sim-2", "sim-3", "sim-4"];

    private const string GoodHttpd = """
        version: "3"
        services:
          web:
            image: offline/busybox:static
            command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
            volumes:
              - ./www:/www:ro
        """;

    [Fact]
    public async Task A_canary_rollback_a_tripped_gate_and_a_wave_that_survives_a_node_restart_into_production()
    {
        await using var factory = await EdgeFactory.StartAsync(hocon: "fleet.waves.evaluate-every = 500ms");
        var (containers, node) = (factory.Containers, factory.Node);
        using var data = new TempDirectory();
        await PublishAsync(node, containers, 1);
        var simulation = FleetEdgeProcess.Start("simulate", "--gateway", node.GatewayUrl.AbsoluteUri, "--token", node.Token, "--devices", "4",
            "--group", "field", "--poll-interval", "1s", "--report-every", "1s", "--config", SimulationSettings(data, factory.Registry),
            "--data-dir", data.Combine("sim"));
        try
        {
            await UntilTwinsAsync(node, simulation, twins => twins.All(t => t.CurrentTarget == "acme-1" && t.AppHealth == AppHealth.Healthy));

            // Wave w1 takes a good version 2 (published for CI's tag only) to a canary of two of the group (not the probe devices
            // PublishAsync registers); they install it and it passes.
            await PublishVersionAsync(factory, 2, GoodHttpd, "v2");
            await PbmAsync(node, "init", "w1", "2", "main");
            await PbmAsync(node, "rollout", "w1", "--group", "field", "--limit", "2");
            await UntilWaveAsync(node, "w1", wave => Stage(wave, 0) == "Passed");
            var canary = (await TwinsAsync(node)).Where(t => t.CurrentTarget == "acme-2").Select(t => t.DeviceId).ToList();
            Assert.Equal(2, canary.Count);
            // abort --rollback withdraws acme-2: the canary goes back down to acme-1, the target of production.
            await PbmAsync(node, "abort", "w1", "--rollback");
            var aborted = await ShowAsync(node, "w1");
            Assert.Equal(("Aborted", "aborted by an operator; acme-2 is withdrawn and its devices go back to production"), (Status(aborted), aborted.GetProperty("reason").GetString()));
            await UntilTwinsAsync(node, simulation, twins => twins.All(t => t.CurrentTarget == "acme-1"));
            foreach (var device in canary)
            {
                var twin = await node.TwinAsync(device);
                // Installed acme-2, then — a new installation, not a failure's local rollback — acme-1 again.
                Assert.Equal(["acme-1 True", "acme-2 True", "acme-1 True"], twin.Installs.Select(i => $"{i.TargetName} {i.Success}"));
            }

            // Wave w2: version 3's httpd cannot start; the canary fails, the 10 % failure gate trips and pauses the wave.
            await PublishVersionAsync(factory, 3, GoodHttpd.Replace("volumes:", $"labels:\n      {SimulatedRuntime.FailLabel}: fail\n    volumes:", StringComparison.Ordinal), "v3");
            await PbmAsync(node, "init", "w2", "3", "main");
            await PbmAsync(node, "rollout", "w2", "--group", "field", "--limit", "2", "--failure", "10");
            var paused = await UntilWaveAsync(node, "w2", wave => Status(wave) == "Paused");
            Assert.Equal("Tripped", Stage(paused, 0));
            Assert.Contains("of finished devices failed", paused.GetProperty("reason").GetString());
            // Both canary devices rolled back to acme-1 on their own and reported the failure.
            await UntilTwinsAsync(node, simulation, twins => twins.Count(t => t.Installs.Any(i => i.CorrelationId.StartsWith("3-", StringComparison.Ordinal) && i.Success == false)) == 2
                && twins.All(t => t.CurrentTarget == "acme-1"));
            // resume accepts the tripped stage and the wave goes on (no more stages); cancel ends it where it is.
            await PbmAsync(node, "resume", "w2");
            var resumed = await ShowAsync(node, "w2");
            Assert.Equal(("Active", "Passed"), (Status(resumed), Stage(resumed, 0)));
            await PbmAsync(node, "cancel", "w2");

            // Wave w3: version 4 to every device with a bake time; the node restarts mid-stage and the wave goes on.
            await PublishVersionAsync(factory, 4, GoodHttpd, "v4");
            await PbmAsync(node, "init", "w3", "4", "main");
            await PbmAsync(node, "rollout", "w3", "--group", "field", "--bake", "5s");
            await UntilWaveAsync(node, "w3", wave => Released(wave) == 4);
            await node.RestartAsync();
            var recovered = await ShowAsync(node, "w3");
            Assert.Equal(("Active", 4, 4), (Status(recovered), recovered.GetProperty("devices").GetInt32(), Released(recovered)));
            Assert.Contains(Stage(recovered, 0), new[] { "Running", "Baking", "Passed" });
            await UntilWaveAsync(node, "w3", wave => Stage(wave, 0) == "Passed");
            await UntilTwinsAsync(node, simulation, twins => twins.All(t => t.CurrentTarget == "acme-4"));
            await PbmAsync(node, "complete", "w3");
            Assert.Equal("Completed", Status(await ShowAsync(node, "w3")));
            // Production of main now lists acme-4 next to acme-1 and the withdrawn acme-2.
            var production = await PbmClient.RunAsync(await node.CommandHostAsync(), "targets", "list", ["--tag", "main"]);
            Assert.Equal(["acme-1 ", "acme-2 wave w1 aborted with rollback", "acme-4 "], production.Rows.Select(r => $"{r["name"]} {r["withdrawn"]}"));
        }
        finally
        {
            await FleetEdgeProcess.InterruptAsync(simulation.ProcessId);
        }
        var stopped = await simulation;
        Assert.True(stopped.ExitCode == 0, stopped.StandardError);
    }

    /// <summary>Commits httpd's compose file and page, and publishes the result as <paramref name="version"/> for tag ci (not the devices' main).</summary>
    private static async Task PublishVersionAsync(EdgeFactory factory, long version, string compose, string page)
    {
        factory.Containers.Write("httpd/docker-compose.yml", compose);
        factory.Containers.Write("httpd/www/index.html", page);
        await factory.Containers.CommitAsync($"httpd {page}");
        await PublishAsync(factory.Node, factory.Containers, version, tag: "ci");
    }

    private static async Task<PbmResult> PbmAsync(RunningNode node, string command, params string[] arguments)
    {
        var result = await PbmClient.RunAsync(await node.CommandHostAsync(), "waves", command, arguments);
        Assert.True(result.End.ExitCode == 0, $"pbm waves {command} {string.Join(' ', arguments)}: {result.End.Error}: {result.End.Message}");
        return result;
    }

    private static async Task<JsonElement> ShowAsync(RunningNode node, string wave) => (await PbmAsync(node, "show", wave)).Value;

    private static string? Status(JsonElement wave) => wave.GetProperty("status").GetString();

    private static string? Stage(JsonElement wave, int index) => wave.GetProperty("stages")[index].GetProperty("status").GetString();

    private static int Released(JsonElement wave) => wave.GetProperty("stages")[0].GetProperty("released").GetInt32();

    /// <summary>Polls <c>pbm waves show</c> until <paramref name="done"/> holds (3 minutes at most).</summary>
    private static async Task<JsonElement> UntilWaveAsync(RunningNode node, string wave, Func<JsonElement, bool> done)
    {
        for (var deadline = DateTime.UtcNow.AddMinutes(3); ; await Task.Delay(500))
        {
            var shown = await ShowAsync(node, wave);
            if (done(shown)) return shown;
            if (DateTime.UtcNow > deadline) Assert.Fail($"wave {wave} did not get there: {shown}");
        }
    }

    private static async Task<List<DeviceDetails>> TwinsAsync(RunningNode node)
    {
        var twins = new List<DeviceDetails>();
        foreach (var device in Devices) twins.Add(await node.TwinAsync(device));
        return twins;
    }

    private static async Task UntilTwinsAsync(RunningNode node, CliWrap.CommandTask<CliWrap.Buffered.BufferedCommandResult> simulation, Func<IReadOnlyList<DeviceDetails>, bool> done)
    {
        for (var deadline = DateTime.UtcNow.AddMinutes(3); ; await Task.Delay(500))
        {
            if (simulation.Task.IsCompleted) Assert.Fail($"simulate stopped: {(await simulation).StandardError}");
            try
            {
                var twins = await TwinsAsync(node);
                if (done(twins)) return;
                if (DateTime.UtcNow > deadline)
                    Assert.Fail("the simulated devices did not get there: " + string.Join("; ", twins.Select(t => $"{t.DeviceId} {t.CurrentTarget} {t.Status}")));
            }
            catch (Akka.Actor.AskTimeoutException) when (DateTime.UtcNow <= deadline) { }
        }
    }
}
