using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Publishing;

public sealed class BranchWatchStateTests
{
    [Fact]
    public void Each_commit_is_published_once_and_a_failed_one_is_not_retried()
    {
        var state = BranchWatchState.Empty;
        Assert.True(state.ShouldPublish("a1", publishing: null));
        Assert.False(state.ShouldPublish("a1", publishing: "a1"));

        state = state.Apply(new WatchedCommitHandled("repo", "main", "a1", "acme-1", null, DateTimeOffset.UnixEpoch));
        Assert.False(state.ShouldPublish("a1", null));
        Assert.True(state.ShouldPublish("b2", null));

        state = state.Apply(new WatchedCommitHandled("repo", "main", "b2", null, "compose file invalid", DateTimeOffset.UnixEpoch));
        Assert.False(state.ShouldPublish("b2", null));
        Assert.Equal(new BranchWatchState("b2", "acme-1", "compose file invalid", 2), state);
    }
}

/// <summary>The watcher against a real containers.git, registry and Docker engine, across a restart.</summary>
public sealed class BranchWatcherTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _data = new();
    private readonly TestRepository _keys = new();

    public void Dispose() => _data.Dispose();

    private Task<ControlPlaneTestHost> StartAsync(string registry, string repository) =>
        PublisherRetryTests.StartWithPublisherAsync(_data, _keys, PublisherRetryTests.ExamplesPublisher(registry) with
        {
            Watch = new BranchWatchSettings(repository, "main", "main", [], TimeSpan.FromMilliseconds(300)),
        });

    private static async Task<BranchWatchStatus> UntilAsync(IActorRef watcher, Func<BranchWatchStatus, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            var status = await watcher.Ask<BranchWatchStatus>(GetBranchWatchStatus.Instance, Wait);
            if (condition(status)) return status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"watcher status stayed {status}");
            await Task.Delay(200);
        }
    }

    private static async Task<IReadOnlyList<string>> TargetNamesAsync(ControlPlaneTestHost host)
    {
        var metadata = await (await host.TargetRegistryAsync()).Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, Wait);
        return metadata.Views.SelectMany(v => Tuf.Metadata.SignedMetadata<Tuf.Metadata.TargetsMetadata>.Parse(v.Targets).Signed.Targets.Keys).Distinct().Order().ToList();
    }

    [Fact]
    public async Task New_commits_are_published_once_each_and_a_restart_does_not_publish_them_again()
    {
        await DockerEngine.RequireAsync();
        await using var registry = await RegistryProcess.StartAsync();
        await DockerEngine.PushAsync(await DockerEngine.BusyboxImageAsync(), registry.Address, "offline/busybox", "static");
        using var containers = await ContainersGit.FromExamplesAsync(registry.Address, "acme");
        var first = (await containers.GitAsync("rev-parse", "HEAD")).Trim();

        string second;
        await using (var host = await StartAsync(registry.Address, containers.Path))
        {
            var watcher = await host.Registry.GetAsync<BranchWatcherActor>();
            var status = await UntilAsync(watcher, s => s.Handled == 1);
            Assert.Equal(first, status.LastHandledCommit);
            Assert.Equal("acme-1", status.LastTarget);

            // A new commit: published as the next version (the commit count).
            containers.Write("simple-app/README.md", "changed\n");
            second = await containers.CommitAsync("change simple-app");
            status = await UntilAsync(watcher, s => s.Handled == 2);
            Assert.Equal(second, status.LastHandledCommit);
            Assert.Equal("acme-2", status.LastTarget);
            Assert.Null(status.LastFailure);
        }

        await using (var restarted = await StartAsync(registry.Address, containers.Path))
        {
            var watcher = await restarted.Registry.GetAsync<BranchWatcherActor>();
            // Several reads of the unchanged head after the restart: nothing is published again.
            var status = await UntilAsync(watcher, s => s.Checks >= 3);
            Assert.Equal(2, status.Handled);
            Assert.Equal(second, status.LastHandledCommit);
            Assert.Null(status.Publishing);
            Assert.Equal(["acme-1", "acme-2"], await TargetNamesAsync(restarted));
        }
    }
}
