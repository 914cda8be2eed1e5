using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Persistence;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Targets;

/// <summary>What the target registry of one factory runs with (HOCON <c>fleet.targets</c>, and the factory's files).</summary>
/// <param name="InitialRoot">Root v1 made by <c>fleet-node init</c>; used only when the journal is empty.</param>
/// <param name="Signers">The private keys loaded on this node (online roles; root too in embedded mode).</param>
/// <param name="RefreshCheckInterval">How often expiring metadata is looked for and re-signed.</param>
/// <param name="SnapshotEvery">A snapshot is saved after this many events.</param>
/// <param name="KeyStore">Where this node keeps its online keys: rotated keys are added there, dropped ones deleted; null: no online rotation.</param>
public sealed record TargetRegistrySettings(
    string Factory,
    byte[] InitialRoot,
    IReadOnlyList<ISigner> Signers,
    RepositoryOptions Options,
    TimeSpan RefreshCheckInterval,
    int SnapshotEvery,
    TimeProvider? Time = null,
    OnlineKeyStore? KeyStore = null);

/// <summary>
/// The factory's TUF repository as an event-sourced cluster singleton: records targets from publishes,
/// re-signs metadata before it expires, and publishes the signed metadata to every gateway through
/// distributed pub/sub. Each change is computed on a copy and applied only once its events are persisted.
/// </summary>
public sealed class TargetRegistryActor : ReceivePersistentActor, IWithTimers
{
    private sealed record RefreshTick
    {
        public static RefreshTick Instance { get; } = new();
    }

    /// <summary>A new online key is on disk; the rotation goes on with it (or <see cref="Failure"/> says why not).</summary>
    private sealed record OnlineKeyWritten(string Role, KeyPair Key, IActorRef ReplyTo, Exception? Failure);

    /// <summary>Key files of dropped keys were deleted (or <see cref="Failure"/>).</summary>
    private sealed record OldKeysDeleted(IReadOnlyList<string> Files, Exception? Failure);

    /// <summary>
    /// Root N+1 waiting for offline signatures, with the online key it introduces (if any) and what it does. Kept in
    /// memory only: until it is signed nothing has changed, so a restart simply forgets it.
    /// </summary>
    private sealed record PendingRootChange(SigningRequest Request, KeyPair? NewKey, string What);

    private readonly TargetRegistrySettings _settings;
    private readonly List<ISigner> _signers;
    private PendingRootChange? _pendingRoot;
    private readonly TimeProvider _time;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private RepositoryState? _state;
    private TufRepository? _repository;

    public TargetRegistryActor(TargetRegistrySettings settings)
    {
        _settings = settings;
        _time = settings.Time ?? TimeProvider.System;
        _signers = [.. settings.Signers];
        PersistenceId = $"target-registry-{settings.Factory}";

        Recover<SnapshotOffer>(offer => _state = ((TargetRegistrySnapshot)offer.Snapshot).State);
        Recover<RepositoryInitialized>(e => _state = TargetsState.Initial(e.Root));
        Recover<TagSigned>(e => _state = TargetsState.Apply(RequiredState(), e));
        Recover<RootSigned>(e => _state = KeysState.Apply(RequiredState(), e));
        Recover<RecoveryCompleted>(_ => Recovered());

        Command<RecordTarget>(record => Change($"target {record.Name}",
            () => (TargetsState.Record(_repository!, _signers, _time, record), TargetsState.TagsOf(record)),
            reason => new TargetRejected(record.Name, reason),
            tags => new TargetRecorded(record.Name, tags.ToDictionary(t => t, t => _state!.Tags[t].TargetsVersion))));
        Command<OpenWaveView>(open => ChangeWaveView(open.Tag, open.Wave, () => TargetsState.OpenWave(_repository!, _signers, _time, open)));
        Command<PromoteWaveView>(promote => ChangeWaveView(promote.Tag, promote.Wave,
            () => TargetsState.EndWave(_repository!, _signers, _time, promote.Tag, promote.Wave, WaveViewEnd.Promote)));
        Command<CloseWaveView>(close => ChangeWaveView(close.Tag, close.Wave,
            () => TargetsState.EndWave(_repository!, _signers, _time, close.Tag, close.Wave, WaveViewEnd.Close)));
        Command<WithdrawWaveView>(withdraw => ChangeWaveView(withdraw.Tag, withdraw.Wave,
            () => TargetsState.EndWave(_repository!, _signers, _time, withdraw.Tag, withdraw.Wave, WaveViewEnd.Withdraw)));
        Command<AdvanceTagViews>(advance => Change($"advancing the views of tag {advance.Tag}",
            () => TargetsState.AdvanceViews(_repository!, _signers, _time, advance.Tag),
            reason => new WaveViewRefused(advance.Tag, "", reason), version => new TagViewsAdvanced(advance.Tag, version)));
        Command<TagTargets>(tag => Change($"tagging version {tag.Version}", () => TargetsState.Tag(_repository!, _signers, _time, tag),
            reason => new TargetTagsRefused(tag.Version, reason), changed => changed));
        Command<PruneTargets>(prune => Change($"pruning version {prune.Version} from tag {prune.Tag}", () => TargetsState.Prune(_repository!, _signers, _time, prune),
            reason => new TargetTagsRefused(prune.Version, reason), changed => changed));
        Command<PrepareRoot>(prepare => ChangeRoot(Sender, "root rotation", null, () => KeysState.PrepareRoot(_repository!, _signers, _time, KeysState.RootKeysOf(prepare))));
        Command<RotateOnlineKey>(RotateOnlineKey);
        Command<OnlineKeyWritten>(ContinueRotation);
        Command<SubmitSignatures>(Submit);
        Command<GetSigningRequests>(_ => Sender.Tell(KeysAnswerOf(PendingSignings() is { Count: > 0 } pending
            ? $"{pending.Count} request(s) wait for offline signatures" : "nothing waits for offline signatures")));
        Command<OldKeysDeleted>(deleted =>
        {
            if (deleted.Failure is not null) _log.Warning(deleted.Failure, "deleting the files of dropped online keys failed");
            else if (deleted.Files.Count > 0) _log.Info("deleted dropped online key files [{0}]", string.Join(", ", deleted.Files));
        });
        Command<GetRepositoryMetadata>(_ => Sender.Tell(TargetsState.MetadataOf(_repository!.State, LastSequenceNr)));
        Command<RefreshTick>(_ => HandleRefresh());
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "saving a target registry snapshot failed; recovery replays more events"));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning(f.Cause, "deleting old target registry snapshots failed"));
    }

    public override string PersistenceId { get; }
    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor(TargetRegistrySettings settings) => Props.Create(() => new TargetRegistryActor(settings));

    private void Recovered()
    {
        if (_state is null)
        {
            // A new factory: its history starts with the root written by init.
            var initialized = new RepositoryInitialized(_settings.InitialRoot);
            Persist(initialized, e =>
            {
                _state = TargetsState.Initial(e.Root);
                Started();
            });
            return;
        }
        Started();
    }

    private void Started()
    {
        _repository = TufRepository.Load(_state!, _signers, _settings.Options, _time);
        _log.Info("target registry of {0}: {1} root version(s), tags [{2}]", _settings.Factory, _state!.Roots.Count, string.Join(", ", _state.Tags.Keys));
        LogRootKeyPlace();
        Timers.StartPeriodicTimer("refresh", RefreshTick.Instance, TimeSpan.Zero, _settings.RefreshCheckInterval);
        PublishMetadata();
    }

    private void ChangeWaveView(string tag, string wave, Func<(IReadOnlyList<TagSigned> Events, string Target)> change) =>
        Change($"wave view {wave} of tag {tag}", change, reason => new WaveViewRefused(tag, wave, reason),
            target => new WaveViewChanged(tag, wave, target, _state!.Tags[tag].TargetsVersion));

    /// <summary>
    /// Computes a change on a copy (a refusal answers <paramref name="refused"/> with the reason and changes nothing),
    /// persists its events, then answers what <paramref name="answer"/> makes of the result (no events: at once).
    /// </summary>
    private void Change<T>(string what, Func<(IReadOnlyList<TagSigned> Events, T Result)> compute, Func<string, object> refused, Func<T, object> answer)
    {
        (IReadOnlyList<TagSigned> Events, T Result) change;
        try
        {
            change = compute();
        }
        catch (Exception e) when (e is TargetRejectedException or RepositoryException)
        {
            _log.Warning("{0} refused: {1}", what, e.Message);
            Sender.Tell(refused(e.Message));
            return;
        }
        var replyTo = Sender;
        if (change.Events.Count == 0)
        {
            replyTo.Tell(answer(change.Result));
            return;
        }
        PersistAllAndApply(change.Events, () =>
        {
            _log.Info("{0}: re-signed tags [{1}]", what, string.Join(", ", change.Events.Select(e => e.Tag)));
            replyTo.Tell(answer(change.Result));
        });
    }

    private void HandleRefresh()
    {
        var events = TargetsState.RefreshExpiring(_repository!, _signers, _time);
        if (events.Count == 0) return;
        PersistAllAndApply(events, () => _log.Info("re-signed expiring metadata of tags [{0}]", string.Join(", ", events.Select(e => e.Tag))));
    }

    /// <summary>Persists the events, then applies them, publishes the new metadata and runs <paramref name="done"/>.</summary>
    private void PersistAllAndApply(IReadOnlyList<TagSigned> events, Action done)
    {
        var remaining = events.Count;
        PersistAll(events, e =>
        {
            _state = TargetsState.Apply(_state!, e);
            if (--remaining > 0) return;
            _repository = TufRepository.Load(_state, _signers, _settings.Options, _time);
            if (LastSequenceNr % _settings.SnapshotEvery < events.Count) SaveSnapshot(new TargetRegistrySnapshot(_state));
            PublishMetadata();
            done();
        });
    }

    private void LogRootKeyPlace()
    {
        if (KeysState.RolesOnline(_repository!, _signers).Contains(Role.Root))
            _log.Warning("embedded mode: the TUF root key is online on this node; for demos only, production keeps root offline (fleet-node init --offline-root)");
        else
            _log.Info("the TUF root key is offline: root changes are signed client-side with pbm keys rotate-root --key <root key file>");
    }

    private void RotateOnlineKey(RotateOnlineKey rotate)
    {
        var online = KeysState.RolesOnline(_repository!, _signers);
        string? refusal = rotate.Role switch
        {
            _ when !KeysState.OnlineRoles.Contains(rotate.Role) && rotate.Role != Role.Root =>
                $"unknown role \"{rotate.Role}\"; online roles: {string.Join(", ", KeysState.OnlineRoles)}",
            _ when !online.Contains(rotate.Role) => rotate.Role == Role.Root
                ? "the root key of this factory is offline: rotate it with pbm keys rotate-root --key <root key file> --new-key <file>"
                : $"the {rotate.Role} key of this factory is offline; rotate-online replaces keys this registry holds",
            _ when _settings.KeyStore is null => "this registry has no directory for online keys; it cannot store a new one",
            _ => null,
        };
        if (refusal is not null)
        {
            Sender.Tell(new KeysRefused(refusal));
            return;
        }
        // The key is on disk before root N+1 names it: a crash after the commit must not lose the role's only key.
        var key = KeyPair.Generate(_repository!.Root.Signed.Keys[_repository.Root.Signed.Roles[rotate.Role].KeyIds[0]].Scheme);
        var replyTo = Sender;
        _settings.KeyStore!.SaveAsync(rotate.Role, key).PipeTo(Self,
            success: _ => new OnlineKeyWritten(rotate.Role, key, replyTo, null),
            failure: e => new OnlineKeyWritten(rotate.Role, key, replyTo, e));
    }

    private void ContinueRotation(OnlineKeyWritten written)
    {
        if (written.Failure is not null)
        {
            written.Key.Dispose();
            written.ReplyTo.Tell(new KeysRefused($"cannot store the new {written.Role} key in {_settings.KeyStore!.Directory}: {written.Failure.Message}"));
            return;
        }
        var old = _repository!.Root.Signed.Roles[written.Role].KeyIds;
        var change = new RoleKeyChange(written.Role, [written.Key.PublicKey], 1);
        ChangeRoot(written.ReplyTo, $"the {written.Role} key {KeysState.Short(old)} is replaced by {KeysState.Short([written.Key.KeyId])}", written.Key,
            () => KeysState.PrepareRoot(_repository, [.. _signers, written.Key], _time, change));
    }

    private void Submit(SubmitSignatures submit)
    {
        var rootChange = submit.RequestId == _pendingRoot?.Request.Id ? _pendingRoot : null;
        var target = _repository!.PendingRequests.FirstOrDefault(r => r.Id == submit.RequestId);
        if (rootChange is null && target is null)
        {
            var pending = PendingSignings().Select(p => p.Id).ToList();
            Sender.Tell(new KeysRefused($"no request \"{submit.RequestId}\" waits for signatures; pending: [{string.Join(", ", pending)}]"));
            return;
        }
        if (rootChange is not null)
        {
            ChangeRoot(Sender, rootChange.What, rootChange.NewKey, () => KeysState.Submit(_repository, rootChange.Request,
                rootChange.NewKey is null ? _signers : [.. _signers, rootChange.NewKey], _time, submit));
            return;
        }
        Change($"signatures for {submit.RequestId}", () =>
        {
            var scratch = KeysState.Submit(_repository, null, _signers, _time, submit);
            return ((IReadOnlyList<TagSigned>)[new TagSigned(target!.Tag!, scratch.State.Tags[target.Tag!])], scratch);
        }, reason => new KeysRefused(reason), scratch => KeysAnswerOf(scratch.State.Tags[target!.Tag!].PendingTargets is null
            ? $"tag {target.Tag} signed at targets version {scratch.State.Tags[target.Tag!].TargetsVersion}"
            : $"{submit.RequestId} accepted {submit.Signatures.Count} signature(s)"));
    }

    /// <summary>
    /// Computes root N+1 on a copy: a refusal changes nothing; a root that still needs offline signatures is kept in
    /// memory and described; a committed one is persisted with the tags it re-signed, then keys no role lists are dropped.
    /// </summary>
    private void ChangeRoot(IActorRef replyTo, string what, KeyPair? newKey, Func<TufRepository> compute)
    {
        TufRepository scratch;
        try
        {
            scratch = compute();
        }
        catch (RepositoryException e)
        {
            _log.Warning("{0} refused: {1}", what, e.Message);
            replyTo.Tell(new KeysRefused(e.Message));
            return;
        }
        if (scratch.State.PendingRoot is { } request)
        {
            _pendingRoot = new PendingRootChange(request, newKey, what);
            var pending = KeysState.Describe(_repository!, request);
            replyTo.Tell(new KeysAnswer($"{what}: {pending.Needs}", [pending], KeysState.RolesOnline(_repository!, _signers)));
            return;
        }
        Persist(KeysState.Committed(_state!, scratch.State), signed =>
        {
            _state = KeysState.Apply(_state!, signed);
            _pendingRoot = null;
            if (newKey is not null) _signers.Add(newKey);
            _repository = TufRepository.Load(_state, _signers, _settings.Options, _time);
            var keep = KeysState.KeyIdsInRoot(_repository);
            _signers.RemoveAll(s => !keep.Contains(s.KeyId));
            if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(new TargetRegistrySnapshot(_state));
            PublishMetadata();
            _settings.KeyStore?.DeleteAllBut(keep).PipeTo(Self, success: files => new OldKeysDeleted(files, null), failure: e => new OldKeysDeleted([], e));
            var resigned = signed.Tags.Count == 0 ? "" : $"; re-signed tags [{string.Join(", ", signed.Tags.Keys.Order(StringComparer.Ordinal))}]";
            _log.Info("{0}: root v{1} committed{2}", what, _state.Roots.Count, resigned);
            LogRootKeyPlace();
            replyTo.Tell(KeysAnswerOf($"{what}: root v{_state.Roots.Count} signed{resigned}"));
        });
    }

    /// <summary>Root N+1 in memory and the persisted targets requests, as the operator sees them.</summary>
    private IReadOnlyList<PendingSigning> PendingSignings() =>
        [.. _pendingRoot is { } root ? [KeysState.Describe(_repository!, root.Request)] : Array.Empty<PendingSigning>(),
         .. _repository!.PendingRequests.Select(r => KeysState.Describe(_repository, r))];

    private KeysAnswer KeysAnswerOf(string summary) => new(summary, PendingSignings(), KeysState.RolesOnline(_repository!, _signers));

    private void PublishMetadata() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(TargetsTopics.Metadata, TargetsState.MetadataOf(_state!, LastSequenceNr)));

    private RepositoryState RequiredState() =>
        _state ?? throw new InvalidOperationException("journal corrupt: a tag event precedes the repository's initialization");
}
