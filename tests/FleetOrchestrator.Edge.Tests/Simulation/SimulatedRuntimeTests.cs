using FleetOrchestrator.Edge.Simulation;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Edge.Tests.Simulation;

public sealed class SimulatedRuntimeTests : IDisposable
{
    private readonly TempDirectory _apps = new();

    public void Dispose() => _apps.Dispose();

    private string App(string name, string labels = "")
    {
        var directory = Path.Combine(_apps.Path, name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "docker-compose.yml"), $$"""
            services:
              web:
                image: registry.local/acme/web@sha256:{{new string('a', 64)}}
            {{labels}}
              worker:
                image: registry.local/acme/worker@sha256:{{new string('b', 64)}}
            """);
        return directory;
    }

    [Fact]
    public async Task A_started_app_runs_healthy_until_stopped()
    {
        var runtime = new SimulatedRuntime("sim-1", failRate: 0);
        var directory = App("shop");

        await runtime.StartAsync("shop", directory, recreate: true, CancellationToken.None);
        var running = await runtime.StatusAsync("shop", directory, CancellationToken.None);
        await runtime.StopAsync("shop", directory, CancellationToken.None);
        var stopped = await runtime.StatusAsync("shop", directory, CancellationToken.None);

        Assert.True(running.Healthy);
        Assert.Equal(["web", "worker"], running.Services.Select(s => s.Service));
        Assert.False(stopped.Running);
        Assert.All(stopped.Services, s => Assert.Equal("no container", s.Detail));
        Assert.Equal([$"registry.local/acme/web@sha256:{new string('a', 64)}", $"registry.local/acme/worker@sha256:{new string('b', 64)}"],
            runtime.ImagesOf("shop", directory));
    }

    [Fact]
    public async Task A_service_labelled_to_fail_exits_with_an_error_so_the_agent_rolls_back()
    {
        var runtime = new SimulatedRuntime("sim-1", failRate: 0);
        var directory = App("shop", $"""
                labels:
                  {SimulatedRuntime.FailLabel}: fail
            """);

        await runtime.StartAsync("shop", directory, recreate: false, CancellationToken.None);
        var status = await runtime.StatusAsync("shop", directory, CancellationToken.None);

        Assert.False(status.Healthy);
        var web = status.Services.Single(s => s.Service == "web");
        Assert.Equal(("exited", false, "exited with code 1"), (web.State, web.Healthy, web.Detail));
        Assert.True(status.Services.Single(s => s.Service == "worker").Healthy);
    }

    [Fact]
    public async Task The_fail_rate_picks_about_that_share_of_devices_and_always_the_same_ones()
    {
        var directory = App("shop");
        async Task<bool> FailsOn(string device, double rate) =>
            !(await new SimulatedRuntime(device, rate).StatusAsync("shop", directory, CancellationToken.None)).Healthy;

        var devices = Enumerable.Range(1, 1000).Select(i => $"sim-{i}").ToList();
        var failing = new List<string>();
        foreach (var device in devices)
            if (await FailsOn(device, 0.3)) failing.Add(device);

        Assert.InRange(failing.Count, 240, 360); // 30 % of 1,000 give or take four standard deviations
        foreach (var device in failing.Take(20)) Assert.True(await FailsOn(device, 0.3)); // a new runtime, the same verdict
        Assert.False(await FailsOn(failing[0], 0));
        Assert.True(await FailsOn(devices.Except(failing).First(), 1));
    }

    [Fact]
    public async Task An_app_folder_without_a_compose_file_fails_to_start()
    {
        var runtime = new SimulatedRuntime("sim-1", failRate: 0);
        var directory = Path.Combine(_apps.Path, "empty");
        Directory.CreateDirectory(directory);

        await Assert.ThrowsAsync<FileNotFoundException>(() => runtime.StartAsync("empty", directory, recreate: false, CancellationToken.None));
    }

    [Fact]
    public void A_fail_rate_outside_zero_to_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedRuntime("sim-1", 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedRuntime("sim-1", -0.1));
    }
}
