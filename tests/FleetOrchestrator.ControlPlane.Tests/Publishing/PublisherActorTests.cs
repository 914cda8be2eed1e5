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
        await using var host = await ControlPlaneTestHost.StartAsync(_data.Combine("journal.db"),
            new TargetRegistrySettings("acme", _keys.Root, _keys.Signers, new RepositoryOptions(), TimeSpan.FromMinutes(10)));
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
