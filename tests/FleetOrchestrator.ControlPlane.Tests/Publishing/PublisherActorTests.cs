using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Publishing;

public sealed class PublisherActorTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _data = new();
    private readonly TestRepository _keys = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Failed_publishes_answer_with_the_reason_record_nothing_and_leave_the_publisher_ready()
    {
        await using var host = await ControlPlaneTestHost.StartAsync(_data.Combine("journal.db"), TestSettings.Registry(_keys));
        var publisher = await host.Registry.GetAsync<PublisherActor>();
        var missing = _data.Combine("no-such-repository");

        // Two requests at once: the second waits for the first, and both are answered.
        var first = publisher.Ask<PublishFailed>(new PublishTarget(missing, "main", "main", ["generic"], null), Wait);
        var second = publisher.Ask<PublishFailed>(new PublishTarget(missing, "HEAD", "main", ["generic"], null), Wait);
        var answers = await Task.WhenAll(first, second);

        Assert.Equal(["main", "HEAD"], answers.Select(a => a.Ref));
        Assert.All(answers, a => Assert.Contains("no-such-repository", a.Reason));
        var registry = await host.TargetRegistryAsync();
        Assert.Empty((await registry.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, Wait)).Views);
    }
}

/// <summary>Publishes through the supervised workers, against the real engine and a registry that is down for a while.</summary>
public sealed class PublisherRetryTests : IDisposable
{
    private readonly TempDirectory _data = new();
    private readonly TestRepository _keys = new();

    public void Dispose() => _data.Dispose();

    private Task<ControlPlaneTestHost> StartAsync(string registry, int maxRetries) =>
        StartWithPublisherAsync(_data, _keys, ExamplesPublisher(registry) with { RetryMinBackoff = TimeSpan.FromMilliseconds(500), MaxRetries = maxRetries });

    /// <summary>Publishing examples/containers to <paramref name="registry"/>: their base image is docker.io/offline/busybox, served by the test registry as the docker.io mirror.</summary>
    internal static PublisherSettings ExamplesPublisher(string registry) =>
        TestSettings.Publisher with { Registry = registry, Mirrors = new Dictionary<string, string> { ["docker.io"] = registry }, RecordTimeout = TimeSpan.FromSeconds(30) };

    internal static Task<ControlPlaneTestHost> StartWithPublisherAsync(TempDirectory data, TestRepository keys, PublisherSettings publisher) =>
        ControlPlaneTestHost.StartAsync(data.Combine("journal.db"), TestSettings.Registry(keys), publisher);

    private static async Task<Inbox> ProgressInboxAsync(ActorSystem system)
    {
        var inbox = Inbox.Create(system);
        var mediator = Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(system).Mediator;
        await mediator.Ask<Akka.Cluster.Tools.PublishSubscribe.SubscribeAck>(
            new Akka.Cluster.Tools.PublishSubscribe.Subscribe(PublishingTopics.Progress, inbox.Receiver), TimeSpan.FromSeconds(10));
        return inbox;
    }

    private static async Task<PublishProgressed> NextProgressAsync(Inbox inbox, Func<PublishProgressed, bool> wanted)
    {
        while (true)
        {
            if (await inbox.ReceiveAsync(TimeSpan.FromMinutes(2)) is PublishProgressed progress && wanted(progress)) return progress;
        }
    }

    [Fact]
    public async Task A_registry_outage_is_retried_with_backoff_and_the_publish_completes_once_it_is_back()
    {
        await DockerEngine.RequireAsync();
        var port = RegistryProcess.FreePort();
        var address = $"127.0.0.1:{port}";
        using var containers = await ContainersGit.FromExamplesAsync(address, "acme");
        await using var host = await StartAsync(address, maxRetries: 20);
        var progress = await ProgressInboxAsync(host.System);
        var publisher = await host.Registry.GetAsync<PublisherActor>();

        var answer = publisher.Ask<object>(new PublishTarget(containers.Path, "main", "main", ["generic"], 1), TimeSpan.FromMinutes(5));

        // The containers are built, their push finds no registry: a transient failure, retried.
        var retry = await NextProgressAsync(progress, p => p.Stage == "retry");
        Assert.StartsWith("build/", retry.Subject);
        Assert.Contains("connection refused", retry.Message);
        await using var registry = await RegistryProcess.StartAsync(port: port);
        await DockerEngine.PushAsync(await DockerEngine.BusyboxImageAsync(), registry.Address, "offline/busybox", "static");

        var result = await answer;
        Assert.True(result is TargetPublished, result.ToString());
        var published = (TargetPublished)result;
        Assert.Equal("acme-1", published.Name);
        Assert.Equal(["hello-world-app", "httpd", "simple-app"], published.AppUris.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_registry_that_stays_down_fails_the_publish_after_the_retries_with_the_last_reason()
    {
        await DockerEngine.RequireAsync();
        var address = $"127.0.0.1:{RegistryProcess.FreePort()}";
        using var containers = await ContainersGit.FromExamplesAsync(address, "acme");
        await using var host = await StartAsync(address, maxRetries: 1);
        var publisher = await host.Registry.GetAsync<PublisherActor>();

        var failed = await publisher.Ask<PublishFailed>(new PublishTarget(containers.Path, "main", "main", ["generic"], 1), TimeSpan.FromMinutes(3));

        Assert.Matches("^build/[a-z-]+: gave up after 1 retries: container '[a-z-]+': docker push failed", failed.Reason);
        Assert.Contains("connection refused", failed.Reason);
        var targets = await host.TargetRegistryAsync();
        Assert.Empty((await targets.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, TimeSpan.FromSeconds(30))).Views);
    }
}
