using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Node.Tests;

/// <summary>
/// A device whose tag has nothing published is served complete signed metadata with no targets (one empty chain shared by
/// every such tag), and takes the tag's first publication afterwards: its versions start above the empty chain's.
/// </summary>
public sealed class UnpublishedTagTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private RunningNode _node = null!;

    public async Task InitializeAsync() => _node = await RunningNode.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task A_device_of_a_tag_with_nothing_published_gets_signed_metadata_with_no_targets()
    {
        var (_, certificate) = await _node.RegisterAsync("quiet-1", tag: "devel");
        using var _ = certificate;
        using var http = _node.Client(certificate);
        var root = SignedMetadata<RootMetadata>.Parse(await http.GetByteArrayAsync("repo/1.root.json")).Signed;

        var timestampAnswer = await http.GetAsync("repo/timestamp.json");
        var snapshotAnswer = await http.GetAsync("repo/1.snapshot.json");
        var targetsAnswer = await http.GetAsync("repo/1.targets.json");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (timestampAnswer.StatusCode, snapshotAnswer.StatusCode, targetsAnswer.StatusCode));
        var timestamp = SignedMetadata<TimestampMetadata>.Parse(await timestampAnswer.Content.ReadAsByteArrayAsync());
        var snapshot = SignedMetadata<SnapshotMetadata>.Parse(await snapshotAnswer.Content.ReadAsByteArrayAsync());
        var targets = SignedMetadata<TargetsMetadata>.Parse(await targetsAnswer.Content.ReadAsByteArrayAsync());
        ThresholdVerifier.Verify(Role.Timestamp, root.RoleKeysOf(Role.Timestamp), root.Keys, timestamp);
        ThresholdVerifier.Verify(Role.Snapshot, root.RoleKeysOf(Role.Snapshot), root.Keys, snapshot);
        ThresholdVerifier.Verify(Role.Targets, root.RoleKeysOf(Role.Targets), root.Keys, targets);
        Assert.Equal(1, timestamp.Signed.SnapshotMeta.Version);
        Assert.Equal(1, snapshot.Signed.Meta["targets.json"].Version);
        Assert.Empty(targets.Signed.Targets);
        Assert.True(timestamp.Signed.Expires > DateTimeOffset.UtcNow);

        // One chain serves every tag with nothing published: another tag gets the same signed bytes, nothing new is signed.
        var (_, other) = await _node.RegisterAsync("quiet-2", tag: "lab");
        using (other)
        using (var otherHttp = _node.Client(other))
            Assert.Equal(timestamp.Raw.ToArray(), await otherHttp.GetByteArrayAsync("repo/timestamp.json"));
    }

    [Fact]
    public async Task The_tags_first_publication_is_signed_above_the_empty_chain_and_the_device_installs_it()
    {
        var (registration, certificate) = await _node.RegisterAsync("quiet-3", tag: "devel");
        using var _ = certificate;
        using var http = _node.Client(certificate);
        using var metadataDir = new TempDirectory();
        var updater = await _node.DeviceUpdaterAsync(registration, http, metadataDir.Path);
        await updater.RefreshAsync();
        Assert.Empty(updater.TrustedTargets(Role.Targets)!.Signed.Targets);
        var before = (updater.TrustedTimestamp!.Signed.Version, updater.TrustedSnapshot!.Signed.Version, updater.TrustedTargets(Role.Targets)!.Signed.Version);

        var registry = await _node.TargetRegistryAsync();
        var recorded = await registry.Ask<TargetRecorded>(new RecordTarget("acme-1", Encoding.UTF8.GetBytes("{\"app\":{\"uri\":\"r/acme/app@sha256:01\"}}"),
            new JsonObject { ["version"] = "1", ["tags"] = new JsonArray("devel") }), Wait);
        await _node.WaitForTargetsVersionAsync(certificate, recorded.TargetsVersionByTag["devel"]);
        var device = await _node.DeviceUpdaterAsync(registration, http, metadataDir.Path);
        await device.RefreshAsync();

        var after = (device.TrustedTimestamp!.Signed.Version, device.TrustedSnapshot!.Signed.Version, device.TrustedTargets(Role.Targets)!.Signed.Version);
        Assert.True(after.Item1 > before.Item1 && after.Item2 > before.Item2 && after.Item3 > before.Item3, $"versions {before} -> {after}");
        var target = await device.GetTargetInfoAsync("acme-1");
        Assert.Equal("{\"app\":{\"uri\":\"r/acme/app@sha256:01\"}}", await File.ReadAllTextAsync(await device.DownloadTargetAsync(target!)));
    }
}
