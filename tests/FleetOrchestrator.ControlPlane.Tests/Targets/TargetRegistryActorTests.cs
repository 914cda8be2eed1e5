using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.TestKit.Xunit2;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Targets;

public sealed class TargetRegistryActorTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _data = new();
    private readonly TestRepository _keys = new();

    public void Dispose() => _data.Dispose();

    private TargetRegistrySettings Settings(TimeProvider? time = null, RepositoryOptions? options = null) =>
        new("acme", _keys.Root, _keys.Signers, options ?? new RepositoryOptions(), TimeSpan.FromMinutes(10), SnapshotEvery: 2, Time: time);

    private Task<ControlPlaneTestHost> StartAsync(TargetRegistrySettings settings) =>
        ControlPlaneTestHost.StartAsync(_data.Combine("journal.db"), settings);

    [Fact]
    public async Task Records_a_target_and_publishes_verified_metadata_to_subscribers()
    {
        await using var host = await StartAsync(Settings());
        var kit = new TestKit(host.System);
        var subscriber = kit.CreateTestProbe();
        DistributedPubSub.Get(host.System).Mediator.Tell(new Subscribe(TargetsTopics.Metadata, subscriber.Ref), subscriber.Ref);
        // The registry publishes its metadata when it starts, which may reach the probe before the ack.
        subscriber.FishForMessage(m => m is SubscribeAck, Wait);
        var registry = await host.TargetRegistryAsync();

        var recorded = await registry.Ask<TargetRecorded>(TestRepository.Target("acme-1", "apps-1", "main"), Wait);

        Assert.Equal(new Dictionary<string, int> { ["main"] = 1 }, recorded.TargetsVersionByTag);
        var published = subscriber.FishForMessage<RepositoryMetadata>(m => m.Views.Count == 1, Wait);
        var view = Assert.Single(published.Views);
        Assert.Equal(["acme-1"], TestRepository.VerifiedTargets(_keys.Root, view).Targets.Keys);
    }

    [Fact]
    public async Task Rejections_say_why_and_record_nothing()
    {
        await using var host = await StartAsync(Settings());
        var registry = await host.TargetRegistryAsync();
        await registry.Ask<TargetRecorded>(TestRepository.Target("acme-1", "apps-1", "main"), Wait);

        var rejected = await registry.Ask<Refused>(TestRepository.Target("acme-1", "changed", "main"), Wait);

        Assert.Equal("acme-1", rejected.Subject);
        Assert.Contains("different content", rejected.Reason);
        var metadata = await registry.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, Wait);
        Assert.Equal("apps-1"u8.ToArray(), Assert.Single(metadata.Views).TargetFiles["acme-1"]);
    }

    [Fact]
    public async Task After_a_restart_targets_and_keys_are_intact()
    {
        byte[] timestampBefore;
        await using (var first = await StartAsync(Settings()))
        {
            var registry = await first.TargetRegistryAsync();
            for (var i = 1; i <= 3; i++)
                await registry.Ask<TargetRecorded>(TestRepository.Target($"acme-{i}", $"apps-{i}", "main", "beta"), Wait);
            timestampBefore = (await registry.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, Wait)).Views[0].Timestamp;
        }

        await using var second = await StartAsync(Settings());
        var restarted = await second.TargetRegistryAsync();
        var recovered = await restarted.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, Wait);

        Assert.Equal(["beta", "main"], recovered.Views.Select(v => v.Tag));
        Assert.Equal(timestampBefore, recovered.Views.Single(v => v.Tag == "beta").Timestamp);
        // Signing again after recovery proves the keys still match the recovered root.
        var recorded = await restarted.Ask<TargetRecorded>(TestRepository.Target("acme-4", "apps-4", "main"), Wait);
        Assert.Equal(4, recorded.TargetsVersionByTag["main"]);
        var after = await restarted.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, Wait);
        Assert.Equal(["acme-1", "acme-2", "acme-3", "acme-4"],
            TestRepository.VerifiedTargets(_keys.Root, after.Views.Single(v => v.Tag == "main")).Targets.Keys.Order());
    }

    [Fact]
    public async Task Tag_and_prune_are_persisted_published_and_refused_by_reason()
    {
        await using (var first = await StartAsync(Settings()))
        {
            var kit = new TestKit(first.System);
            var subscriber = kit.CreateTestProbe();
            DistributedPubSub.Get(first.System).Mediator.Tell(new Subscribe(TargetsTopics.Metadata, subscriber.Ref), subscriber.Ref);
            subscriber.FishForMessage(m => m is SubscribeAck, Wait);
            var registry = await first.TargetRegistryAsync();
            await registry.Ask<TargetRecorded>(TestRepository.Target("acme-1", "apps-1", "main"), Wait);

            var tagged = await registry.Ask<TargetTagsChanged>(new TagTargets("1", ["beta"]), Wait);
            var unknown = await registry.Ask<Refused>(new TagTargets("7", ["beta"]), Wait);

            Assert.Equal(new Dictionary<string, int> { ["beta"] = 1, ["main"] = 2 }, tagged.TargetsVersionByTag);
            Assert.Equal("no recorded target has version 7", unknown.Reason);
            var published = subscriber.FishForMessage<RepositoryMetadata>(m => m.Views.Any(v => v.Tag == "beta"), Wait);
            Assert.Equal(["acme-1"], TestRepository.VerifiedTargets(_keys.Root, published.Views.Single(v => v.Tag == "beta")).Targets.Keys);
        }

        await using (var second = await StartAsync(Settings()))
        {
            var registry = await second.TargetRegistryAsync();
            var recovered = await registry.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, Wait);
            Assert.Equal(["acme-1"], TestRepository.VerifiedTargets(_keys.Root, recovered.Views.Single(v => v.Tag == "beta")).Targets.Keys);

            var pruned = await registry.Ask<TargetTagsChanged>(new PruneTargets("1", "beta"), Wait);
            var again = await registry.Ask<Refused>(new PruneTargets("1", "beta"), Wait);

            Assert.Equal(new Dictionary<string, int> { ["beta"] = 2, ["main"] = 3 }, pruned.TargetsVersionByTag);
            Assert.Equal("tag beta has no target with version 1; its versions: []", again.Reason);
        }

        await using var third = await StartAsync(Settings());
        var afterPrune = await (await third.TargetRegistryAsync()).Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, Wait);
        var beta = TestRepository.VerifiedTargets(_keys.Root, afterPrune.Views.Single(v => v.Tag == "beta"));
        Assert.Equal((2, 0), (beta.Version, beta.Targets.Count));
        Assert.Equal(["acme-1"], TestRepository.VerifiedTargets(_keys.Root, afterPrune.Views.Single(v => v.Tag == "main")).Targets.Keys);
    }

    [Fact]
    public async Task Expiring_timestamp_is_resigned_by_the_timer()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var options = new RepositoryOptions { TimestampLifetime = TimeSpan.FromDays(7) };
        var settings = Settings(time, options) with { RefreshCheckInterval = TimeSpan.FromMilliseconds(200) };
        await using var host = await StartAsync(settings);
        var registry = await host.TargetRegistryAsync();
        await registry.Ask<TargetRecorded>(TestRepository.Target("acme-1", "apps-1", "main"), Wait);
        var kit = new TestKit(host.System);
        var subscriber = kit.CreateTestProbe();
        DistributedPubSub.Get(host.System).Mediator.Tell(new Subscribe(TargetsTopics.Metadata, subscriber.Ref), subscriber.Ref);
        subscriber.FishForMessage(m => m is SubscribeAck, Wait); // a periodic publish may come first

        time.Now += TimeSpan.FromDays(3.6);

        var resigned = subscriber.FishForMessage<RepositoryMetadata>(m => TimestampVersion(m) == 2, Wait);
        Assert.Equal(time.Now.AddDays(7).ToUnixTimeSeconds(),
            Tuf.Metadata.SignedMetadata<Tuf.Metadata.TimestampMetadata>.Parse(resigned.Views[0].Timestamp).Signed.Expires.ToUnixTimeSeconds());
    }

    private static int TimestampVersion(RepositoryMetadata metadata) =>
        Tuf.Metadata.SignedMetadata<Tuf.Metadata.TimestampMetadata>.Parse(metadata.Views[0].Timestamp).Signed.Version;
}
