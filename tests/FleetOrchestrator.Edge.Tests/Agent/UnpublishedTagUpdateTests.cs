using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Edge.Tests.Agent;

/// <summary><c>fleet-edge update --once</c> as a process against a real node, for a device whose tag has nothing published.</summary>
public sealed class UnpublishedTagUpdateTests : IAsyncLifetime
{
    private RunningNode _node = null!;

    public async Task InitializeAsync() => _node = await RunningNode.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task The_refresh_succeeds_with_nothing_to_install_instead_of_being_deferred()
    {
        using var data = new TempDirectory();
        var registered = await FleetEdgeProcess.RunAsync("register", "--gateway", _node.GatewayUrl.AbsoluteUri, "--token", _node.Token,
            "--hardware-id", "rpi4", "--name", "quiet-edge", "--tag", "devel", "--data-dir", data.Path);
        Assert.True(registered.ExitCode == 0, registered.StandardError);

        var update = await FleetEdgeProcess.RunAsync("update", "--once", "--data-dir", data.Path);

        Assert.True(update.ExitCode == 0, $"exit {update.ExitCode}\n{update.StandardOutput}\n{update.StandardError}");
        Assert.Contains("NoTarget", update.StandardOutput + update.StandardError);
        Assert.DoesNotContain("Deferred", update.StandardOutput + update.StandardError);
    }
}
