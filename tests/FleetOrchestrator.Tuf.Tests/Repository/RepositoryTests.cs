using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.Tuf.Tests.RepositoryTests;

public sealed class RepositoryTests
{
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 28, 3, 0, 0, TimeSpan.Zero));

    private (TufRepository Repo, IReadOnlyDictionary<string, IReadOnlyList<KeyPair>> Keys) NewRepository(RepositoryOptions? options = null)
    {
        var (repo, keys) = TufRepository.Create(options, _clock);
        repo.AddView("prod", TufRepository.ProductionView);
        return (repo, keys);
    }

    private static (SignedMetadata<TargetsMetadata> Targets, SignedMetadata<SnapshotMetadata> Snapshot, SignedMetadata<TimestampMetadata> Timestamp) Published(TufRepository repo, string tag, string view)
    {
        var state = repo.State.Tags[tag].Views[view];
        return (SignedMetadata<TargetsMetadata>.Parse(state.TargetsRaw!), SignedMetadata<SnapshotMetadata>.Parse(state.SnapshotRaw!),
            SignedMetadata<TimestampMetadata>.Parse(state.TimestampRaw!));
    }

    /// <summary>Verifies a view the way a client does: signatures by the root's keys, and each role's meta matching the next.</summary>
    private static void AssertViewVerifies(TufRepository repo, string tag, string view)
    {
        var root = repo.Root.Signed;
        var (targets, snapshot, timestamp) = Published(repo, tag, view);
        ThresholdVerifier.Verify(Role.Timestamp, root.RoleKeysOf(Role.Timestamp), root.Keys, timestamp);
        ThresholdVerifier.Verify(Role.Snapshot, root.RoleKeysOf(Role.Snapshot), root.Keys, snapshot);
        ThresholdVerifier.Verify(Role.Targets, root.RoleKeysOf(Role.Targets), root.Keys, targets);
        var view_ = repo.State.Tags[tag].Views[view];
        Assert.Equal(snapshot.Signed.Version, timestamp.Signed.SnapshotMeta.Version);
        Hashes.Verify(Role.Snapshot, "snapshot.json", view_.SnapshotRaw, timestamp.Signed.SnapshotMeta.Length, timestamp.Signed.SnapshotMeta.Hashes);
        Assert.Equal(targets.Signed.Version, snapshot.Signed.Meta["targets.json"].Version);
    }

    [Fact]
    public void Create_generates_keys_per_role_with_thresholds_and_signs_root_v1()
    {
        var options = new RepositoryOptions { Roles = new Dictionary<string, RoleKeySpec> { [Role.Root] = new(3, 2), [Role.Targets] = new(2, 2) } };
        var (repo, keys) = NewRepository(options);
        var root = repo.Root;
        Assert.Equal(1, root.Signed.Version);
        Assert.True(root.Signed.ConsistentSnapshot);
        Assert.Equal(3, keys[Role.Root].Count);
        Assert.Equal(keys[Role.Root].Select(k => k.KeyId), root.Signed.Roles[Role.Root].KeyIds);
        Assert.Equal(2, root.Signed.Roles[Role.Root].Threshold);
        Assert.Equal(2, root.Signed.Roles[Role.Targets].Threshold);
        Assert.Equal(7, root.Signed.Keys.Count);
        Assert.Equal(_clock.Now.AddDays(365), root.Signed.Expires);
        Assert.Equal(3, ThresholdVerifier.Verify(Role.Root, root.Signed.Roles[Role.Root], root.Signed.Keys, root));
        Assert.Throws<RepositoryException>(() => TufRepository.Create(new RepositoryOptions { Roles = new Dictionary<string, RoleKeySpec> { [Role.Snapshot] = new(1, 2) } }));
    }

    [Fact]
    public void Publish_signs_targets_snapshot_timestamp_with_computed_lengths_and_hashes()
    {
        var (repo, _) = NewRepository();
        var content = Encoding.UTF8.GetBytes("{\"apps\":{}}");
        repo.AddTarget("prod", "production", "app-1", content, new JsonObject { ["version"] = "1" });
        Assert.Empty(repo.Publish("prod"));

        AssertViewVerifies(repo, "prod", "production");
        var (targets, snapshot, timestamp) = Published(repo, "prod", "production");
        var file = targets.Signed.Targets["app-1"];
        Assert.Equal(content.Length, file.Length);
        Hashes.Verify(Role.Targets, "app-1", content, file.Length, file.Hashes);
        Assert.Equal([Hashes.Sha256, Hashes.Sha512], file.Hashes.Keys.Order());
        Assert.Equal("1", (string?)file.Custom!["version"]);
        Assert.Equal((1, 1, 1), (targets.Signed.Version, snapshot.Signed.Version, timestamp.Signed.Version));
        Assert.Equal(_clock.Now.AddDays(1), timestamp.Signed.Expires);

        repo.RemoveTarget("prod", "production", "app-1");
        repo.Publish("prod");
        var (targets2, _, _) = Published(repo, "prod", "production");
        Assert.Equal(2, targets2.Signed.Version);
        Assert.Empty(targets2.Signed.Targets);
    }

    [Fact]
    public void Views_of_a_tag_advance_in_lockstep_so_moving_between_them_never_goes_down()
    {
        var (repo, _) = NewRepository();
        repo.AddTarget("prod", "production", "app-1", "v1"u8);
        repo.Publish("prod");
        repo.AddView("prod", "wave-7");
        repo.AddTarget("prod", "wave-7", "app-2", "v2"u8);
        repo.Publish("prod");
        repo.AddView("prod", "wave-8", copyFrom: "wave-7");
        repo.AddTarget("prod", "wave-8", "app-3", "v3"u8);
        repo.Publish("prod");
        _clock.Now += TimeSpan.FromHours(13);
        repo.RefreshExpiring();
        repo.RemoveView("prod", "wave-7");
        repo.AddTarget("prod", "production", "app-3", "v3"u8);
        repo.Publish("prod");

        var states = repo.State.Tags["prod"];
        var versions = states.Views.Keys.Select(v => Published(repo, "prod", v)).Select(p => (p.Targets.Signed.Version, p.Snapshot.Signed.Version, p.Timestamp.Signed.Version)).Distinct().ToList();
        Assert.Equal([(4, 4, 5)], versions);
        Assert.Equal((4, 4, 5), (states.TargetsVersion, states.SnapshotVersion, states.TimestampVersion));
        Assert.Equal(["app-1", "app-2", "app-3"], Published(repo, "prod", "wave-8").Targets.Signed.Targets.Keys.Order());
        Assert.Equal(["app-1", "app-3"], Published(repo, "prod", "production").Targets.Signed.Targets.Keys.Order());
        foreach (var view in states.Views.Keys) AssertViewVerifies(repo, "prod", view);
    }

    [Fact]
    public void Lockstep_holds_after_every_operation()
    {
        var (repo, _) = NewRepository();
        repo.AddView("other", TufRepository.ProductionView);
        var seen = new Dictionary<string, (int, int, int)>();
        void Check()
        {
            foreach (var (tag, tagState) in repo.State.Tags)
            {
                var published = tagState.Views.Keys.Where(v => tagState.Views[v].TimestampRaw is not null)
                    .Select(v => Published(repo, tag, v)).Select(p => (p.Targets.Signed.Version, p.Snapshot.Signed.Version, p.Timestamp.Signed.Version)).Distinct().ToList();
                Assert.True(published.Count <= 1, $"views of {tag} differ: {string.Join(" ", published)}");
                if (published.Count == 0) continue;
                if (seen.TryGetValue(tag, out var before))
                    Assert.True(published[0].CompareTo(before) >= 0 && published[0].Item1 >= before.Item1 && published[0].Item2 >= before.Item2 && published[0].Item3 >= before.Item3);
                seen[tag] = published[0];
            }
        }
        for (var i = 0; i < 6; i++)
        {
            repo.AddView("prod", $"wave-{i}");
            Check();
            repo.AddTarget("prod", $"wave-{i}", $"app-{i}", Encoding.UTF8.GetBytes($"content {i}"));
            repo.Publish("prod");
            Check();
            if (i % 2 == 1) repo.RemoveView("prod", $"wave-{i - 1}");
            _clock.Now += TimeSpan.FromHours(7);
            repo.RefreshExpiring();
            Check();
        }
        repo.Publish("other");
        Check();
        Assert.Equal(1, Published(repo, "other", "production").Targets.Signed.Version);
    }

    [Fact]
    public void Refresh_renews_only_what_is_about_to_expire()
    {
        var (repo, _) = NewRepository();
        repo.Publish("prod");
        Assert.Empty(repo.RefreshExpiring());
        _clock.Now += TimeSpan.FromHours(13);
        Assert.Equal([("prod", Role.Timestamp)], repo.RefreshExpiring());
        Assert.Equal((1, 1, 2), Versions(repo));
        _clock.Now += TimeSpan.FromDays(4);
        Assert.Equal([("prod", Role.Snapshot)], repo.RefreshExpiring());
        Assert.Equal((1, 2, 3), Versions(repo));
        _clock.Now += TimeSpan.FromDays(46);
        Assert.Equal([("prod", Role.Targets)], repo.RefreshExpiring());
        Assert.Equal((2, 3, 4), Versions(repo));
        AssertViewVerifies(repo, "prod", "production");
        Assert.False(repo.RootExpiresSoon);
        _clock.Now += TimeSpan.FromDays(140);
        Assert.True(repo.RootExpiresSoon);
    }

    private static (int, int, int) Versions(TufRepository repo)
    {
        var tag = repo.State.Tags["prod"];
        return (tag.TargetsVersion, tag.SnapshotVersion, tag.TimestampVersion);
    }

    [Fact]
    public void Root_rotation_chain_is_verifiable_with_old_and_new_thresholds()
    {
        var (repo, keys) = NewRepository(new RepositoryOptions { Roles = new Dictionary<string, RoleKeySpec> { [Role.Root] = new(2, 2) } });
        var generations = new List<IReadOnlyList<KeyPair>> { keys[Role.Root] };
        for (var i = 0; i < 3; i++)
        {
            var next = Enumerable.Range(0, i + 1).Select(_ => KeyPair.Generate(KeyScheme.All[i])).ToList();
            foreach (var k in next) repo.AddSigner(k);
            repo.UpdateRoot(new RoleKeyChange(Role.Root, next.Select(k => k.PublicKey).ToList(), next.Count));
            generations.Add(next);
        }
        Assert.Null(repo.State.PendingRoot);
        Assert.Equal(4, repo.State.Roots.Count);
        for (var version = 2; version <= 4; version++)
        {
            var previous = repo.RootDocument(version - 1).Signed;
            var current = repo.RootDocument(version);
            Assert.Equal(version, current.Signed.Version);
            ThresholdVerifier.Verify(Role.Root, previous.Roles[Role.Root], previous.Keys, current);
            ThresholdVerifier.Verify(Role.Root, current.Signed.Roles[Role.Root], current.Signed.Keys, current);
            Assert.Equal(generations[version - 1].Select(k => k.KeyId).Order(), current.Signed.Roles[Role.Root].KeyIds.Order());
        }
        // Root 4 is not signed by generation 1 alone: the old keys alone do not verify it.
        var first = repo.RootDocument(1).Signed;
        Assert.Throws<SignatureThresholdException>(() => ThresholdVerifier.Verify(Role.Root, first.Roles[Role.Root], first.Keys, repo.RootDocument(4)));
    }

    [Fact]
    public async Task Offline_root_signing_round_trip_and_bad_signatures_change_nothing()
    {
        using var dir = new TempDirectory();
        var (repo, keys) = NewRepository(new RepositoryOptions { Roles = new Dictionary<string, RoleKeySpec> { [Role.Root] = new(2, 2) } });
        var oldKeyFiles = new List<string>();
        foreach (var (key, i) in keys[Role.Root].Select((k, i) => (k, i)))
        {
            var path = dir.Combine($"root-{i}.pem");
            await key.SaveAsync(path, "pw");
            oldKeyFiles.Add(path);
            repo.RemoveSigner(key.KeyId);
        }
        using var newKey = KeyPair.Generate(KeyScheme.EcdsaP256);
        var newKeyFile = dir.Combine("new-root.pem");
        await newKey.SaveAsync(newKeyFile);

        var request = repo.UpdateRoot(new RoleKeyChange(Role.Root, [newKey.PublicKey], 1));
        Assert.Equal("root/2", request.Id);
        Assert.Empty(request.Signatures);
        Assert.Single(repo.State.Roots);
        var payload = repo.PrepareUnsigned(request.Id);
        Assert.Equal(2, SignedMetadata<RootMetadata>.ParseSigned(payload).Version);

        // Refused: a signature over other bytes, a key that is not a root key, a tampered payload signature.
        var before = repo.State;
        using var stranger = KeyPair.Generate();
        var wrongBytes = new Signature(keys[Role.Root][0].KeyId, Convert.ToHexStringLower(keys[Role.Root][0].Sign("other"u8)));
        Assert.Contains("does not verify", Assert.Throws<RepositoryException>(() => repo.SubmitSignature(request.Id, wrongBytes)).Message);
        var notRoot = new Signature(stranger.KeyId, Convert.ToHexStringLower(stranger.Sign(payload)));
        Assert.Contains("is not a root key", Assert.Throws<RepositoryException>(() => repo.SubmitSignature(request.Id, notRoot)).Message);
        Assert.Same(before, repo.State);
        await Assert.ThrowsAsync<RepositoryException>(() => OfflineSigning.SignPayloadAsync("{\"a\": 1}"u8.ToArray(), newKeyFile));

        // Old threshold (2 of 2) and new threshold (1 of 1) are both needed.
        Assert.False(repo.SubmitSignature(request.Id, await OfflineSigning.SignPayloadAsync(payload, oldKeyFiles[0], "pw")));
        Assert.False(repo.SubmitSignature(request.Id, await OfflineSigning.SignPayloadAsync(payload, newKeyFile)));
        Assert.Single(repo.State.Roots);
        Assert.True(repo.SubmitSignature(request.Id, await OfflineSigning.SignPayloadAsync(payload, oldKeyFiles[1], "pw")));

        Assert.Null(repo.State.PendingRoot);
        var root2 = repo.RootDocument(2);
        Assert.Equal(payload, root2.SignedBytes.ToArray());
        var root1 = repo.RootDocument(1).Signed;
        Assert.Equal(2, ThresholdVerifier.Verify(Role.Root, root1.Roles[Role.Root], root1.Keys, root2));
        Assert.Equal(1, ThresholdVerifier.Verify(Role.Root, root2.Signed.Roles[Role.Root], root2.Signed.Keys, root2));
        Assert.Throws<RepositoryException>(() => repo.PrepareUnsigned(request.Id));
    }

    [Fact]
    public void Rotating_an_online_key_goes_through_a_new_root_and_resigns_every_tag()
    {
        var (repo, keys) = NewRepository();
        repo.AddView("other", TufRepository.ProductionView);
        repo.Publish("prod");
        repo.Publish("other");
        using var newTimestamp = KeyPair.Generate();
        repo.AddSigner(newTimestamp);
        repo.RemoveSigner(keys[Role.Timestamp][0].KeyId);

        var before = repo.State;
        Assert.Contains("threshold 2 with 1 distinct key(s) is impossible", Assert.Throws<RepositoryException>(() =>
            repo.UpdateRoot(new RoleKeyChange(Role.Timestamp, [newTimestamp.PublicKey, newTimestamp.PublicKey], 2))).Message);
        Assert.Same(before, repo.State);
        repo.UpdateRoot(new RoleKeyChange(Role.Timestamp, [newTimestamp.PublicKey], 1));

        Assert.Equal(2, repo.Root.Signed.Version);
        Assert.Equal([newTimestamp.KeyId], repo.Root.Signed.Roles[Role.Timestamp].KeyIds);
        Assert.DoesNotContain(keys[Role.Timestamp][0].KeyId, repo.Root.Signed.Keys.Keys);
        foreach (var tag in new[] { "prod", "other" })
        {
            AssertViewVerifies(repo, tag, "production");
            Assert.Equal((1, 1, 2), (repo.State.Tags[tag].TargetsVersion, repo.State.Tags[tag].SnapshotVersion, repo.State.Tags[tag].TimestampVersion));
        }
    }

    [Fact]
    public async Task Offline_targets_signing_publishes_every_view_once_all_are_signed()
    {
        using var dir = new TempDirectory();
        var (repo, keys) = NewRepository();
        var targetsKey = keys[Role.Targets][0];
        await targetsKey.SaveAsync(dir.Combine("targets.pem"));
        repo.RemoveSigner(targetsKey.KeyId);
        repo.AddView("prod", "wave-1");
        repo.AddTarget("prod", "wave-1", "app-1", "x"u8);

        var requests = repo.Publish("prod");
        Assert.Equal(["targets/prod/production/1", "targets/prod/wave-1/1"], requests.Select(r => r.Id).Order());
        Assert.Throws<RepositoryException>(() => repo.AddTarget("prod", "wave-1", "app-2", "y"u8));
        Assert.Throws<RepositoryException>(() => repo.Publish("prod"));

        var before = repo.State;
        using var wrong = KeyPair.Generate();
        Assert.Throws<RepositoryException>(() => repo.SubmitSignature(requests[0].Id, new Signature(wrong.KeyId, Convert.ToHexStringLower(wrong.Sign(requests[0].Payload)))));
        Assert.Same(before, repo.State);

        Assert.False(repo.SubmitSignature(requests[0].Id, await OfflineSigning.SignPayloadAsync(repo.PrepareUnsigned(requests[0].Id), dir.Combine("targets.pem"))));
        Assert.Null(repo.State.Tags["prod"].Views["production"].TimestampRaw);
        Assert.True(repo.SubmitSignature(requests[1].Id, await OfflineSigning.SignPayloadAsync(repo.PrepareUnsigned(requests[1].Id), dir.Combine("targets.pem"))));

        AssertViewVerifies(repo, "prod", "production");
        AssertViewVerifies(repo, "prod", "wave-1");
        Assert.Equal(["app-1"], Published(repo, "prod", "wave-1").Targets.Signed.Targets.Keys);
        Assert.Empty(repo.PendingRequests);
    }

    [Fact]
    public async Task Writes_the_consistent_snapshot_layout_per_view()
    {
        using var dir = new TempDirectory();
        var (repo, _) = NewRepository();
        repo.AddTarget("prod", "production", "apps/web-1", "web"u8);
        repo.Publish("prod");
        await RepositoryLayout.WriteAsync(repo.State, dir.Path);
        repo.UpdateRoot();
        repo.AddTarget("prod", "production", "db-1", "db"u8);
        repo.Publish("prod");
        await RepositoryLayout.WriteAsync(repo.State, dir.Path);

        var view = dir.Combine("prod", "production");
        var files = Directory.GetFiles(view, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(view, f)).Order().ToList();
        var web = Hashes.Compute("web"u8)[Hashes.Sha256];
        var db = Hashes.Compute("db"u8)[Hashes.Sha256];
        Assert.Equal(new[] { "1.root.json", "1.snapshot.json", "1.targets.json", "2.root.json", "2.snapshot.json", "2.targets.json",
            $"targets/{db}.db-1", $"targets/apps/{web}.web-1", "timestamp.json" }.Order(), files);
        Assert.Equal(repo.State.Tags["prod"].Views["production"].TimestampRaw, await File.ReadAllBytesAsync(Path.Combine(view, "timestamp.json")));
        Assert.Equal("web"u8.ToArray(), await File.ReadAllBytesAsync(Path.Combine(view, "targets", "apps", $"{web}.web-1")));
        Assert.Equal(repo.State.Roots[1], await File.ReadAllBytesAsync(Path.Combine(view, "2.root.json")));
    }

    [Fact]
    public void State_round_trips_through_json_and_keeps_working()
    {
        var (repo, keys) = NewRepository();
        repo.AddView("prod", "wave-1");
        repo.AddTarget("prod", "wave-1", "app-1", "x"u8, new JsonObject { ["tags"] = new JsonArray("prod") });
        repo.Publish("prod");

        var json = JsonSerializer.Serialize(repo.State);
        var restored = JsonSerializer.Deserialize<RepositoryState>(json)!;
        var loaded = TufRepository.Load(restored, keys.Values.SelectMany(k => k), time: _clock);
        Assert.Equal(repo.State.Roots[0], loaded.State.Roots[0]);
        Assert.Equal(json, JsonSerializer.Serialize(loaded.State));
        loaded.Publish("prod");
        AssertViewVerifies(loaded, "prod", "wave-1");
        Assert.Equal(2, Published(loaded, "prod", "wave-1").Targets.Signed.Version);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a//b")]
    [InlineData("/abs")]
    [InlineData("a\\b")]
    [InlineData("")]
    public void Unsafe_target_names_are_refused(string name)
    {
        var (repo, _) = NewRepository();
        var e = Assert.Throws<RepositoryException>(() => repo.AddTarget("prod", "production", name, "x"u8));
        Assert.Contains($"invalid target name \"{name}\"", e.Message);
    }

    [Fact]
    public void Names_and_views_are_validated()
    {
        var (repo, _) = NewRepository();
        Assert.Contains("invalid tag name", Assert.Throws<RepositoryException>(() => repo.AddView("../prod", "production")).Message);
        Assert.Contains("invalid view name", Assert.Throws<RepositoryException>(() => repo.AddView("prod", "wave 1")).Message);
        Assert.Contains("already has a view \"production\"", Assert.Throws<RepositoryException>(() => repo.AddView("prod", "production")).Message);
        Assert.Contains("cannot be removed", Assert.Throws<RepositoryException>(() => repo.RemoveView("prod", "production")).Message);
        Assert.Contains("no tag \"nope\"", Assert.Throws<RepositoryException>(() => repo.Publish("nope")).Message);
        Assert.Contains("has no view \"wave-9\"", Assert.Throws<RepositoryException>(() => repo.AddTarget("prod", "wave-9", "a", "x"u8)).Message);
        Assert.Contains("not published yet", Assert.Throws<RepositoryException>(() => RepositoryLayout.FilesOf(repo.State, "prod", "production")).Message);
    }
}
