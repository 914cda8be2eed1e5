using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Targets;

/// <summary>Root rotation decisions without actors: offline root N+1, the signatures pbm sends, the event a commit persists.</summary>
public sealed class KeysDecisionsTests
{
    private static readonly ManualTime Time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>A repository with tag main published, whose root key is offline (not among the returned signers).</summary>
    private static (TufRepository Repository, IReadOnlyList<ISigner> Online, ISigner Root) OfflineRoot()
    {
        var test = new TestRepository(time: Time);
        var root = test.Signers.Single(s => test.Repository.Root.Signed.RoleKeysOf(Role.Root).KeyIds.Contains(s.KeyId));
        var online = test.Signers.Where(s => s != root).ToList();
        var signed = Assert.Single(TargetsDecisions.Record(test.Repository, test.Signers, Time, TestRepository.Target("acme-1", "{}", "main")).Events);
        return (TufRepository.Load(TargetsDecisions.Apply(test.Repository.State, signed), online, test.Repository.Options, Time), online, root);
    }

    private static Signature Sign(ISigner key, SigningRequest request) => new(key.KeyId, Convert.ToHexStringLower(key.Sign(request.Payload)));

    [Fact]
    public void An_offline_root_is_rotated_by_signatures_of_the_old_and_the_new_key_and_the_commit_is_one_event()
    {
        var (repository, online, oldRoot) = OfflineRoot();
        using var newRoot = KeyPair.Generate();

        var prepared = KeysDecisions.PrepareRoot(repository, online, Time, new PrepareRoot([newRoot.PublicKey.ToJson().ToJsonString()]));
        var request = prepared.Answer!;
        var described = KeysDecisions.Describe(repository, request);
        var half = KeysDecisions.SubmitRoot(repository, request, online, Time, new SubmitSignatures(request.Id, [Sign(oldRoot, request)]));
        var committed = KeysDecisions.SubmitRoot(repository, half.Answer!, online, Time, new SubmitSignatures(request.Id, [Sign(newRoot, request)]));
        var signed = Assert.Single(committed.Events);
        var applied = KeysDecisions.Apply(repository.State, signed);

        Assert.Equal(("root/2", 2), (described.Id, described.Version));
        Assert.Equal([oldRoot.KeyId, newRoot.KeyId], described.KeyIds);
        Assert.StartsWith($"root v2 needs 0/1 of the current root keys [{oldRoot.KeyId[..8]}] and 0/1 of the new ones [{newRoot.KeyId[..8]}]", described.Needs);
        Assert.Single(repository.State.Roots);
        Assert.Empty(prepared.Events);
        Assert.Empty(half.Events);
        Assert.NotNull(half.Answer);
        Assert.Null(committed.Answer);
        Assert.Empty(signed.Tags);
        Assert.Equal(2, applied.Roots.Count);
        Assert.Equal([newRoot.KeyId], SignedMetadata<RootMetadata>.Parse(applied.Roots[1]).Signed.RoleKeysOf(Role.Root).KeyIds);
        Assert.Equal([Role.Targets, Role.Snapshot, Role.Timestamp], KeysDecisions.RolesOnline(repository, online));
    }

    [Fact]
    public void Rotating_an_online_key_re_signs_the_tags_with_it()
    {
        var (repository, online, oldRoot) = OfflineRoot();
        using var snapshot = KeyPair.Generate();
        var signers = online.Append(snapshot).ToList();

        var prepared = KeysDecisions.ReplaceKey(repository, signers, Time, new RoleKeyChange(Role.Snapshot, [snapshot.PublicKey], 1));
        var request = prepared.Answer!;
        var committed = KeysDecisions.SubmitRoot(repository, request, signers, Time, new SubmitSignatures(request.Id, [Sign(oldRoot, request)]));
        var signed = Assert.Single(committed.Events);

        var tag = Assert.Single(signed.Tags);
        var root = SignedMetadata<RootMetadata>.Parse(signed.Root).Signed;
        var snapshotDocument = SignedMetadata<SnapshotMetadata>.Parse(tag.Value.Views[TufRepository.ProductionView].SnapshotRaw!);
        ThresholdVerifier.Verify(Role.Snapshot, root.RoleKeysOf(Role.Snapshot), root.Keys, snapshotDocument);
        Assert.Equal(2, tag.Value.SnapshotVersion);
    }

    [Theory]
    [InlineData("{\"keytype\":\"ed25519\",\"scheme\":\"ed25519\"}", "invalid root key: root: key.keyval: required field is missing")]
    [InlineData("{\"keytype\":\"dsa\",\"scheme\":\"dsa\",\"keyval\":{\"public\":\"00\"}}", "invalid root key: root: key: keytype \"dsa\" with scheme \"dsa\" is not supported; schemes: ed25519, ecdsa-sha2-nistp256, rsassa-pss-sha256")]
    [InlineData("nope", "invalid root key: root: key: not a JSON key object:")]
    public void A_bad_root_key_is_refused_precisely(string json, string expected)
    {
        var (repository, online, _) = OfflineRoot();
        Assert.StartsWith(expected, KeysDecisions.PrepareRoot(repository, online, Time, new PrepareRoot([json])).Refusal);
    }

    [Fact]
    public void A_signature_by_another_key_or_that_does_not_verify_is_refused_and_changes_nothing()
    {
        var (repository, online, oldRoot) = OfflineRoot();
        using var stranger = KeyPair.Generate();
        var request = KeysDecisions.PrepareRoot(repository, online, Time, new PrepareRoot([])).Answer!;

        var notRoot = KeysDecisions.SubmitRoot(repository, request, online, Time, new SubmitSignatures(request.Id, [Sign(stranger, request)]));
        var forged = KeysDecisions.SubmitRoot(repository, request, online, Time,
            new SubmitSignatures(request.Id, [new Signature(oldRoot.KeyId, Convert.ToHexStringLower(stranger.Sign(request.Payload)))]));

        Assert.Equal($"root/2: keyid {stranger.KeyId} is not a root key that may sign this request", notRoot.Refusal);
        Assert.Equal($"root/2: the signature of keyid {oldRoot.KeyId} does not verify over the payload", forged.Refusal);
        Assert.Single(repository.State.Roots);
    }

    [Fact]
    public void Rotating_online_is_refused_for_an_unknown_role_an_offline_key_or_without_a_key_directory()
    {
        var (repository, online, _) = OfflineRoot();

        string? Refusal(string role, bool storesKeys = true) => KeysDecisions.Rotate(repository, online, storesKeys, new RotateOnlineKey(role)).Refusal;

        Assert.Equal("unknown role \"mirror\"; online roles: targets, snapshot, timestamp", Refusal("mirror"));
        Assert.StartsWith("the root key of this factory is offline", Refusal(Role.Root));
        Assert.Equal("this registry has no directory for online keys; it cannot store a new one", Refusal(Role.Snapshot, storesKeys: false));
        Assert.Null(Refusal(Role.Snapshot));
    }

    [Fact]
    public void Signatures_for_a_request_nobody_waits_for_are_refused_naming_those_that_wait()
    {
        var (repository, online, _) = OfflineRoot();
        var root = KeysDecisions.PrepareRoot(repository, online, Time, new PrepareRoot([])).Answer!;

        Assert.Equal("no request \"targets/9\" waits for signatures; pending: [root/2]",
            KeysDecisions.SubmitTargets(repository, root, online, Time, new SubmitSignatures("targets/9", [new Signature("00", "00")])).Refusal);
    }
}
