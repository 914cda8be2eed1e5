using System.Net;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Client;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;
using FleetOrchestrator.Tuf.Tests.Simulator;

namespace FleetOrchestrator.Tuf.Tests.RepositoryTests;

/// <summary>
/// The chain served for a tag with nothing published: a real client refreshes on it with no targets, and takes the tag's
/// first publication afterwards (its versions start above the chain's) without a rollback refusal.
/// </summary>
public sealed class UnpublishedChainTests
{
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    // The client checks expiry on the real clock: the repository starts now and moves ahead of it by less than a timestamp lifetime.
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);

    /// <summary>What a gateway serves a device of <paramref name="tag"/>: the tag's production view once published, else the unpublished chain.</summary>
    private static ServedResponse Serve(RepositoryState state, string tag, string rawPath)
    {
        var path = rawPath.TrimStart('/');
        var files = state.Tags.GetValueOrDefault(tag)?.Views[TufRepository.ProductionView].TimestampRaw is not null
            ? RepositoryLayout.FilesOf(state, tag, TufRepository.ProductionView)
            : UnpublishedFiles(state);
        var file = files.FirstOrDefault(f => f.Path == path);
        return file.Content is null ? new ServedResponse.Status(HttpStatusCode.NotFound) : new ServedResponse.Body(file.Content);
    }

    private static IReadOnlyList<(string Path, byte[] Content)> UnpublishedFiles(RepositoryState state)
    {
        if (state.Unpublished is not { } chain) return [];
        var view = chain.Views[TufRepository.ProductionView];
        return
        [
            .. state.Roots.Select((root, i) => ($"{i + 1}.root.json", root)),
            ("timestamp.json", view.TimestampRaw!),
            ($"{chain.SnapshotVersion}.snapshot.json", view.SnapshotRaw!),
            ($"{chain.TargetsVersion}.targets.json", view.TargetsRaw!),
        ];
    }

    private static Updater Device(Uri baseUrl, string directory) => new(new UpdaterOptions
    {
        MetadataDir = directory,
        MetadataBaseUrl = baseUrl,
        TargetBaseUrl = new Uri(baseUrl, "targets/"),
        TargetDir = directory,
    }, new HttpClient());

    [Fact]
    public async Task A_device_refreshes_on_the_empty_chain_then_takes_the_tags_first_publication()
    {
        using var dir = new TempDirectory();
        var (repo, _) = TufRepository.Create(time: _clock);
        await using var server = new LoopbackHttpServer(path => Serve(repo.State, "devel", path));
        await Updater.InitializeAsync(dir.Path, repo.State.Roots[0]);

        repo.SignUnpublished();
        var empty = Device(server.BaseUrl, dir.Path);
        await empty.RefreshAsync();
        Assert.Empty(empty.TrustedTargets(Role.Targets)!.Signed.Targets);
        Assert.Equal(1, empty.TrustedTimestamp!.Signed.Version);

        // Half a day on, the chain's timestamp is re-signed at the next version and the device takes it.
        _clock.Now += TimeSpan.FromHours(13);
        Assert.Empty(repo.RefreshExpiring());
        Assert.Equal((1, 1, 2), (repo.State.Unpublished!.TargetsVersion, repo.State.Unpublished.SnapshotVersion, repo.State.Unpublished.TimestampVersion));
        await Device(server.BaseUrl, dir.Path).RefreshAsync();

        // The tag's first publication starts where the chain is, so every version rises for the device.
        repo.AddView("devel", TufRepository.ProductionView);
        repo.AddTarget("devel", TufRepository.ProductionView, "app-1", "one"u8);
        repo.Publish("devel");
        var published = Device(server.BaseUrl, dir.Path);
        await published.RefreshAsync();
        Assert.Equal((2, 2, 3), (published.TrustedTargets(Role.Targets)!.Signed.Version, published.TrustedSnapshot!.Signed.Version, published.TrustedTimestamp!.Signed.Version));
        var target = await published.GetTargetInfoAsync("app-1");
        Assert.Equal("one"u8.ToArray(), await File.ReadAllBytesAsync(await published.DownloadTargetAsync(target!)));
    }

    [Fact]
    public void Tags_created_before_the_chain_is_signed_start_at_version_one()
    {
        var (repo, _) = TufRepository.Create(time: _clock);
        repo.AddView("main", TufRepository.ProductionView);
        repo.Publish("main");
        repo.SignUnpublished();

        Assert.Equal(1, repo.State.Tags["main"].TargetsVersion);
        Assert.Equal(1, repo.State.Unpublished!.TargetsVersion);
    }

    [Fact]
    public void A_new_timestamp_key_re_signs_the_chain_above_its_version_with_that_key()
    {
        var (repo, _) = TufRepository.Create(time: _clock);
        repo.SignUnpublished();
        using var timestampKey = KeyPair.Generate(KeyScheme.Default);
        repo.AddSigner(timestampKey);

        repo.UpdateRoot(new RoleKeyChange(Role.Timestamp, [timestampKey.PublicKey], 1));

        var timestamp = SignedMetadata<TimestampMetadata>.Parse(repo.State.Unpublished!.Views[TufRepository.ProductionView].TimestampRaw!);
        Assert.Equal(2, timestamp.Signed.Version);
        var root = repo.Root.Signed;
        ThresholdVerifier.Verify(Role.Timestamp, root.RoleKeysOf(Role.Timestamp), root.Keys, timestamp);
    }

    [Fact]
    public void Without_the_targets_key_the_chain_is_not_signed_and_nothing_changes()
    {
        var (repo, keys) = TufRepository.Create(time: _clock);
        repo.RemoveSigner(keys[Role.Targets][0].KeyId);

        var refused = Assert.Throws<SigningKeysMissingException>(repo.SignUnpublished);

        Assert.Equal(Role.Targets, refused.Role);
        Assert.Null(repo.State.Unpublished);
    }
}
