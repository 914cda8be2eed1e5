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
        var first = publisher.Ask<PublishFailed>(new PublishTarget(PublishTarget.NewJobId(), missing, "main", "main", ["generic"], null), Wait);
        var second = publisher.Ask<PublishFailed>(new PublishTarget(PublishTarget.NewJobId(), missing, "HEAD", "main", ["generic"], null), Wait);
        var answers = await Task.WhenAll(first, second);

        Assert.Equal(["main", "HEAD"], answers.Select(a => a.Ref));
        Assert.All(answers, a => Assert.Contains("no-such-repository", a.Reason));
        var registry = await host.TargetRegistryAsync();
        Assert.Empty((await registry.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, Wait)).Views);
    }

    [Fact]
    public async Task Progress_goes_to_its_requester_only_even_for_another_publish_of_the_same_repository()
    {
        await using var host = await ControlPlaneTestHost.StartAsync(_data.Combine("journal.db"), TestSettings.Registry(_keys));
        var publisher = await host.Registry.GetAsync<PublisherActor>();
        using var containers = await ContainersGit.CreateAsync();
        // The source is read (progress), then the scan refuses the app: a quick publish without the Docker engine.
        containers.Write("broken/docker-compose.yaml", "services: {}\n");
        await containers.CommitAsync("an app under the wrong file name");
        var operatorSession = Inbox.Create(host.System);
        var otherRequester = Inbox.Create(host.System);

        // The operator's publish runs first; the other one (as the branch watcher's would) waits for it, then runs.
        var watched = new PublishTarget(PublishTarget.NewJobId(), containers.Path, "main", "main", ["generic"], null, ReportProgress: true);
        operatorSession.Send(publisher, watched with { JobId = PublishTarget.NewJobId() });
        otherRequester.Send(publisher, watched);
        var operatorJob = await ProgressUntilAnswerAsync(operatorSession);
        var otherJob = await ProgressUntilAnswerAsync(otherRequester);

        Assert.Contains(operatorJob, p => p.Stage == "source");
        Assert.Contains(otherJob, p => p.Stage == "source");
        Assert.All(otherJob, p => Assert.Equal(watched.JobId, p.JobId));
        var operatorJobId = Assert.Single(operatorJob.Select(p => p.JobId).Distinct());
        Assert.NotEqual(watched.JobId, operatorJobId);
        // Nothing of the second publish reached the operator's session: what the other job told before its answer
        // would stand before this marker, sent after that answer.
        operatorSession.Receiver.Tell("marker");
        var late = new List<object>();
        while (await operatorSession.ReceiveAsync(Wait) is var message and not "marker") late.Add(message);
        Assert.All(late, m => Assert.Equal(operatorJobId, Assert.IsType<PublishProgressed>(m).JobId));
    }

    /// <summary>The progress a requester received up to its answer (a <see cref="TargetPublished"/> or a <see cref="PublishFailed"/>).</summary>
    internal static async Task<IReadOnlyList<PublishProgressed>> ProgressUntilAnswerAsync(Inbox requester)
    {
        var progress = new List<PublishProgressed>();
        while (await requester.ReceiveAsync(TimeSpan.FromMinutes(2)) is var message and not (TargetPublished or PublishFailed))
            progress.Add(Assert.IsType<PublishProgressed>(message));
        return progress;
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

    private static async Task<PublishProgressed> NextProgressAsync(Inbox inbox, Func<PublishProgressed, bool> wanted)
    {
        while (true)
        {
            if (await inbox.ReceiveAsync(TimeSpan.FromMinutes(2)) is PublishProgressed progress && wanted(progress)) return progress;
        }
    }

    /// <summary>The answer after the rest of the progress.</summary>
    private static async Task<object> AnswerAsync(Inbox inbox)
    {
        while (true)
        {
            var message = await inbox.ReceiveAsync(TimeSpan.FromMinutes(5));
            if (message is not PublishProgressed) return message;
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
        var progress = Inbox.Create(host.System);
        var publisher = await host.Registry.GetAsync<PublisherActor>();

        progress.Send(publisher, new PublishTarget(PublishTarget.NewJobId(), containers.Path, "main", "main", ["generic"], 1, ReportProgress: true));

        // The containers are built, their push finds no registry: a transient failure, retried.
        var retry = await NextProgressAsync(progress, p => p.Stage == "retry");
        Assert.StartsWith("build/", retry.Subject);
        Assert.Contains("connection refused", retry.Message);
        await using var registry = await RegistryProcess.StartAsync(port: port);
        await DockerEngine.PushAsync(await DockerEngine.BusyboxImageAsync(), registry.Address, "offline/busybox", "static");

        var result = await AnswerAsync(progress);
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

        var failed = await publisher.Ask<PublishFailed>(new PublishTarget(PublishTarget.NewJobId(), containers.Path, "main", "main", ["generic"], 1), TimeSpan.FromMinutes(3));

        Assert.Matches("^build/[a-z-]+: gave up after 1 retries: container '[a-z-]+': docker push failed", failed.Reason);
        Assert.Contains("connection refused", failed.Reason);
        var targets = await host.TargetRegistryAsync();
        Assert.Empty((await targets.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, TimeSpan.FromSeconds(30))).Views);
    }
}
