using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Targets;
using Microsoft.Extensions.DependencyInjection;
using FleetOrchestrator.Node.Tests;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>The <c>waves</c> palette against a running node (real waves singleton, registry, twins and fleet table).</summary>
public sealed class WavesPaletteTests : IAsyncLifetime
{
    private RunningNode _node = null!;
    private IPEndPoint _host = null!;

    public async Task InitializeAsync()
    {
        _node = await RunningNode.StartAsync(hocon: "fleet.waves.evaluate-every = 200ms");
        _host = await _node.CommandHostAsync();
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private Task<PbmResult> RunAsync(string command, params string[] arguments) => PbmClient.RunAsync(_host, "waves", command, arguments);

    private static void AssertOk(PbmResult result) => Assert.True(result.End.ExitCode == 0, $"{result.End.Error}: {result.End.Message}");

    private async Task RecordTargetAsync(long version, params string[] tags)
    {
        var custom = new JsonObject
        {
            ["version"] = version.ToString(), ["hardwareIds"] = new JsonArray("generic"),
            ["tags"] = new JsonArray(tags.Select(t => (JsonNode?)t).ToArray()),
        };
        var registry = await _node.TargetRegistryAsync();
        await registry.Ask<TargetRecorded>(new RecordTarget($"acme-{version}", Encoding.UTF8.GetBytes($"{{\"v\":{version}}}"), custom), TimeSpan.FromSeconds(30));
    }

    private async Task<PbmResult> UntilAsync(Func<PbmResult, bool> condition, params string[] statusArguments)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(200))
        {
            var status = await RunAsync("status", statusArguments);
            if (condition(status)) return status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("waves status: " + string.Join(" | ", status.Rows.Select(r => string.Join(",", r.Values))));
        }
    }

    [Fact]
    public async Task Operators_init_roll_out_watch_and_end_a_wave_with_precise_refusals()
    {
        await RecordTargetAsync(1, "main", "prod");
        await RecordTargetAsync(2, "main");
        var twins = await _node.App.Services.GetRequiredService<ActorRegistry>().GetAsync<DeviceTwinActor>();
        foreach (var device in new[] { "lab-1", "lab-2", "lab-3" })
            await twins.Ask<DeviceRegistered>(new RegisterDevice(device, "generic", "prod", "fp-" + device, "lab"), TimeSpan.FromSeconds(30));
        for (var deadline = DateTime.UtcNow.AddSeconds(30); (await PbmClient.RunAsync(_host, "devices", "list", ["--tag", "prod"])).Rows.Count < 3; await Task.Delay(200))
            if (DateTime.UtcNow > deadline) throw new TimeoutException("devices never reached the fleet table");

        var init = await RunAsync("init", "w1", "2", "prod");
        var badLimit = await RunAsync("rollout", "w1", "--limit", "lots");
        var rollout = await RunAsync("rollout", "w1", "--group", "lab", "--limit", "2", "--failure", "10", "--bake", "1h");
        var status = await UntilAsync(s => s.Rows.Any(r => r["released"] == "2"), "w1");
        var second = await RunAsync("init", "w2", "2", "prod");
        var rollback = await RunAsync("abort", "w1", "--rollback");
        var withdrawn = await RunAsync("init", "w2", "2", "prod");
        var targets = await PbmClient.RunAsync(_host, "targets", "list", ["--tag", "prod"]);
        var list = await RunAsync("list");
        var cancel = await RunAsync("cancel", "w1");
        var pause = await RunAsync("pause", "w1");
        var show = await RunAsync("show", "w1");
        // A tag whose production is empty has nothing to roll back to: refused, and the wave stays open.
        await RecordTargetAsync(3, "main");
        var fresh = await RunAsync("init", "w3", "3", "fresh");
        var nothingToGoBackTo = await RunAsync("abort", "w3", "--rollback");
        var plainAbort = await RunAsync("abort", "w3");

        AssertOk(init);
        Assert.Contains("acme-2", init.Frames.OfType<TableFrame>().Single().Title);
        Assert.Equal((ExitCodes.Usage, "--limit takes N or N%, not \"lots\""), (badLimit.End.ExitCode, badLimit.End.Message));
        AssertOk(rollout);
        Assert.Equal("group lab 2 devices", status.Rows.Single()["selection"]);
        Assert.Equal("2", status.Rows.Single()["devices"]);
        Assert.Equal("tag prod already has an open wave: w1 (Active)", second.End.Message);
        AssertOk(rollback);
        // The wave's target is withdrawn in production (its devices go back to acme-1) and cannot start a wave again.
        Assert.Equal("acme-2 (version 2) is withdrawn (wave w1 aborted with rollback); publish a new version", withdrawn.End.Message);
        Assert.Equal(["acme-1 ", "acme-2 wave w1 aborted with rollback"], targets.Rows.Select(r => $"{r["name"]} {r["withdrawn"]}"));
        Assert.Equal(["w1 prod acme-2 Aborted 1 2"], list.Rows.Select(r => $"{r["wave"]} {r["tag"]} {r["target"]} {r["status"]} {r["stages"]} {r["devices"]}"));
        Assert.Equal((ExitCodes.Failed, "wave w1 is Aborted"), (cancel.End.ExitCode, cancel.End.Message));
        Assert.Equal("wave w1 is Aborted", pause.End.Message);
        Assert.Equal("Aborted", show.Value.GetProperty("status").GetString());
        Assert.Equal("aborted by an operator; acme-2 is withdrawn and its devices go back to production", show.Value.GetProperty("reason").GetString());
        AssertOk(fresh);
        Assert.Equal("tag fresh has no production target to roll back to; abort without --rollback leaves the devices where they are", nothingToGoBackTo.End.Message);
        AssertOk(plainAbort);
    }
}
