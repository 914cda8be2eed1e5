using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>Node + real registry + Docker engine: <c>pbm apps publish</c> as an operator runs it, then the new target through the other palettes.</summary>
public sealed class PbmPublishTests
{
    [Fact]
    public async Task Apps_publish_streams_builds_and_pushes_and_ends_with_the_target()
    {
        await DockerEngine.RequireAsync();
        await using var registry = await RegistryProcess.StartAsync();
        await DockerEngine.PushAsync(await DockerEngine.BusyboxImageAsync(), registry.Address, "offline/busybox", "static");
        using var containers = await ContainersGit.FromExamplesAsync(registry.Address, "acme");
        await using var node = await RunningNode.StartAsync(registry.Address);
        var endpoint = $"127.0.0.1:{(await node.CommandHostAsync()).Port}";

        var publish = await PbmClient.ProcessAsync(endpoint, "apps", "publish", "--repo", containers.Path, "--ref", "main", "--version", "1");
        var targets = await PbmClient.ProcessAsync("--json", endpoint, "targets", "list");
        var apps = await PbmClient.ProcessAsync(endpoint, "apps", "list");

        Assert.True(publish.ExitCode == 0, publish.Stderr);
        var lines = publish.Stdout.Split('\n');
        Assert.Equal($"publishing {containers.Path} at main for tag main", lines[0]);
        var published = Array.FindIndex(lines, l => l.StartsWith("published target acme-1 (tag main, targets version ", StringComparison.Ordinal));
        Assert.True(published > 1, publish.Stdout);
        // Progress of the builds and pushes came before the end, as the publisher reported them.
        Assert.Contains(lines[1..published], l => l.Contains("build", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(lines[1..published], l => l.Contains("push", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("\"appUris\"", publish.Stdout);
        Assert.Equal(0, targets.ExitCode);
        Assert.Contains("{\"name\":\"acme-1\",\"version\":\"1\",\"tags\":\"main\"", targets.Stdout);
        Assert.Equal(0, apps.ExitCode);
        foreach (var app in new[] { "hello-world-app", "httpd", "simple-app" })
            Assert.Contains($"{registry.Address}/acme/{app}@sha256:", apps.Stdout);
    }
}
