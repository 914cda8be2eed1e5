using System.Text.Json.Nodes;
using CliWrap;
using CliWrap.Buffered;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.EndToEnd.Tests.Publish;

/// <summary>fleet-publish as an operator runs it: a process, real Docker engine, real registry.</summary>
public class FleetPublishCommandTests : IAsyncLifetime
{
    private RegistryProcess _registry = null!;

    public async Task InitializeAsync()
    {
        _registry = await RegistryProcess.StartAsync();
        await DockerEngine.PushAsync(await DockerEngine.BusyboxImageAsync(), _registry.Address, "offline/busybox", "static");
    }

    public Task DisposeAsync()
    {
        _registry.Dispose();
        return Task.CompletedTask;
    }

    private static Task<BufferedCommandResult> FleetPublishAsync(params string[] args) =>
        Cli.Wrap("dotnet").WithArguments([Path.Combine(AppContext.BaseDirectory, "fleet-publish.dll"), .. args])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();

    private string[] Args(ContainersGit repo, string factory, params string[] more) =>
        ["--repo", repo.Path, "--registry", _registry.Address, "--factory", factory, "--plain-http",
         "--registry-mirror", $"docker.io={_registry.Address}", .. more];

    [Fact]
    public async Task Publishing_the_examples_prints_the_target_and_progress()
    {
        using var repo = await ContainersGit.FromExamplesAsync(_registry.Address, "e2e");
        var result = await FleetPublishAsync(Args(repo, "e2e", "--tag", "devel", "--hardware-id", "rpi4", "--hardware-id", "imx8", "--version", "12"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        var target = JsonNode.Parse(result.StandardOutput)!;
        Assert.Equal("e2e-12", target["name"]!.GetValue<string>());
        Assert.Equal(["rpi4", "imx8"], target["custom"]!["hardwareIds"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["devel"], target["custom"]!["tags"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(3, target["custom"]!["docker_compose_apps"]!.AsObject().Count);
        Assert.Contains("[build] hello-world", result.StandardError);
        Assert.Contains("[push] httpd", result.StandardError);
    }

    [Fact]
    public async Task Out_writes_the_target_to_a_file()
    {
        using var repo = await ContainersGit.FromExamplesAsync(_registry.Address, "e2eout");
        using var dir = new TempDirectory();
        var file = dir.Combine("target.json");
        var result = await FleetPublishAsync(Args(repo, "e2eout", "--out", file, "--quiet"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("", result.StandardOutput.Trim());
        Assert.StartsWith("e2eout-", JsonNode.Parse(await File.ReadAllTextAsync(file))!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_bad_app_exits_1_with_the_reason_and_prints_no_target()
    {
        using var repo = await ContainersGit.CreateAsync();
        repo.Write("web/docker-compose.yml", "services:\n  web:\n    image: offline/busybox\n");
        await repo.CommitAsync("bad");
        var result = await FleetPublishAsync(Args(repo, "e2ebad"));
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.Contains("error: app 'web': service 'web' image 'offline/busybox' has neither tag nor digest", result.StandardError);
    }

    [Fact]
    public async Task Usage_errors_exit_non_zero()
    {
        var missing = await FleetPublishAsync("--registry", "127.0.0.1:1");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("--repo", missing.StandardError);
        using var repo = await ContainersGit.CreateAsync();
        var mirror = await FleetPublishAsync("--repo", repo.Path, "--registry", "127.0.0.1:1", "--factory", "f", "--registry-mirror", "nonsense");
        Assert.Equal(2, mirror.ExitCode);
        Assert.Contains("must be <domain>=<host:port>", mirror.StandardError);
    }
}
