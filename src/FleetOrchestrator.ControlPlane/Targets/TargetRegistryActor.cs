using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Persistence;
using FleetOrchestrator.Protocol;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;
using FleetOrchestrator.Infrastructure.Persistence;

namespace FleetOrchestrator.ControlPlane.Targets;

/// <summary>
/// The factory's TUF repository as an event-sourced cluster singleton: records targets from publishes,
/// re-signs metadata before it expires, and publishes the signed metadata to every gateway through
/// distributed pub/sub. Each change is computed on a copy and applied only once its events are persisted.
/// </summary>
public sealed class TargetRegistryActor : SnapshottingPersistentActor, IWithTimers
{
    private sealed record RefreshTick
    {
        public static RefreshTick Instance { get; } = new();
    }

    /// <summary>A new online key is on disk; the rotation goes on with it (or <see cref="Failure"/> says why not).</summary>
    private sealed record OnlineKeyWritten(string Role, KeyPair Key, IActorRef ReplyTo, Exception? Failure);

    /// <summary>Key files of dropped keys were deleted (or <see cref="Failure"/>).</summary>
    private sealed record OldKeysDeleted(IReadOnlyList<string> Files, Exception? Failure);

    private readonly TargetRegistrySettings _settings;
    private readonly RegistryKeys _keys;
    private readonly TimeProvider _time;
    private RepositoryState? _state;
    private TufRepository? _repository;

    public TargetRegistryActor(TargetRegistrySettings settings)
    {
        _settings = settings;
        _time = settings.Time ?? TimeProvider.System;
        _keys = new RegistryKeys(settings.Signers);
        PersistenceId = $"target-registry-{settings.Factory}";

        Recover<SnapshotOffer>(offer => _state = ((TargetRegistrySnapshot)offer.Snapshot).State);
        Recover<RepositoryInitialized>(e => _state = TargetsDecisions.Initial(e.Root));
        Recover<TagSigned>(e => _state = TargetsDecisions.Apply(RequiredState(), e));
        Recover<UnpublishedViewSigned>(e => _state = TargetsDecisions.Apply(RequiredState(), e));
        Recover<RootSigned>(e => _state = KeysDecisions.Apply(RequiredState(), e));
        Recover<RecoveryCompleted>(_ => Recovered());

        Command<RecordTarget>(record => Change($"target {record.Name}", record.Name, TargetsDecisions.Record(_repository!, _keys.Signers, _time, record)));
        Command<OpenWaveView>(open => Change($"wave view {open.Wave} of tag {open.Tag}", open.Wave, TargetsDecisions.OpenWave(_repository!, _keys.Signers, _time, open)));
        Command<PromoteWaveView>(promote => EndWaveView(promote.Tag, promote.Wave, WaveViewEnd.Promote));
        Command<CloseWaveView>(close => EndWaveView(close.Tag, close.Wave, WaveViewEnd.Close));
        Command<WithdrawWaveView>(withdraw => EndWaveView(withdraw.Tag, withdraw.Wave, WaveViewEnd.Withdraw));
        Command<AdvanceTagViews>(advance => Change($"advancing the views of tag {advance.Tag}", advance.Tag,
            TargetsDecisions.AdvanceViews(_repository!, _keys.Signers, _time, advance.Tag)));
        Command<TagTargets>(tag => Change($"tagging version {tag.Version}", tag.Version, TargetsDecisions.Tag(_repository!, _keys.Signers, _time, tag)));
        Command<PruneTargets>(prune => Change($"pruning version {prune.Version} from tag {prune.Tag}", prune.Version,
            TargetsDecisions.Prune(_repository!, _keys.Signers, _time, prune)));
        Command<PrepareRoot>(prepare => ChangeRoot(Sender, Role.Root, "root rotation", null, KeysDecisions.PrepareRoot(_repository!, _keys.Signers, _time, prepare)));
        Command<RotateOnlineKey>(RotateOnlineKey);
        Command<OnlineKeyWritten>(ContinueRotation);
        Command<SubmitSignatures>(Submit);
        Command<GetSigningRequests>(_ => Sender.Tell(_keys.Answer(_repository!, _keys.Pending(_repository!) is { Count: > 0 } pending
            ? $"{pending.Count} request(s) wait for offline signatures" : "nothing waits for offline signatures")));
        Command<OldKeysDeleted>(deleted =>
        {
            if (deleted.Failure is not null) Log.Warning(deleted.Failure, "deleting the files of dropped online keys failed");
            else if (deleted.Files.Count > 0) Log.Info("deleted dropped online key files [{0}]", string.Join(", ", deleted.Files));
        });
        Command<GetRepositoryMetadata>(_ => Sender.Tell(TargetsDecisions.MetadataOf(_repository!.State, LastSequenceNr)));
        Command<SignUnpublishedView>(_ => SignUnpublished());
        Command<RefreshTick>(_ => HandleRefresh());
        KeepOnlyLatestSnapshot("target registry");
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
                _state = TargetsDecisions.Initial(e.Root);
                Started();
            });
            return;
        }
        Started();
    }

    private void Started()
    {
        _repository = TufRepository.Load(_state!, _keys.Signers, _settings.Options, _time);
        Log.Info("target registry of {0}: {1} root version(s), tags [{2}]", _settings.Factory, _state!.Roots.Count, string.Join(", ", _state.Tags.Keys));
        LogRootKeyPlace();
        Timers.StartPeriodicTimer("refresh", RefreshTick.Instance, TimeSpan.Zero, _settings.RefreshCheckInterval);
        PublishMetadata();
    }

    private void EndWaveView(string tag, string wave, WaveViewEnd end) =>
        Change($"wave view {wave} of tag {tag}", wave, TargetsDecisions.EndWave(_repository!, _keys.Signers, _time, tag, wave, end));

    /// <summary>
    /// Persists what a decision computed on a copy, then answers its <see cref="Decision{TEvent, TAnswer}.Answer"/>, or what
    /// <paramref name="reply"/> makes of it (no events: at once); a refusal is answered <see cref="Refused"/> about <paramref name="subject"/>.
    /// </summary>
    private void Change<TAnswer>(string what, string subject, Decision<TagSigned, TAnswer> decision, Func<TAnswer, object>? reply = null)
    {
        if (Refuse(Sender, what, subject, decision.Refusal)) return;
        var replyTo = Sender;
        var events = decision.Events;
        if (events.Count == 0)
        {
            replyTo.Tell(reply is null ? decision.Answer! : reply(decision.Answer!));
            return;
        }
        PersistAllAndApply(events, () =>
        {
            Log.Info("{0}: re-signed tags [{1}]", what, string.Join(", ", events.Select(e => e.Tag)));
            replyTo.Tell(reply is null ? decision.Answer! : reply(decision.Answer!));
        });
    }

    private bool Refuse(IActorRef replyTo, string what, string subject, string? refusal)
    {
        if (refusal is null) return false;
        Log.Warning("{0} refused: {1}", what, refusal);
        replyTo.Tell(new Refused(subject, refusal));
        return true;
    }

    /// <summary>Signs the chain served for tags with nothing published, once; answers the metadata that carries it.</summary>
    private void SignUnpublished()
    {
        var decision = TargetsDecisions.SignUnpublished(_repository!, _keys.Signers, _time);
        if (Refuse(Sender, "signing the repository of tags with nothing published", ViewMetadata.AnyTag, decision.Refusal)) return;
        var replyTo = Sender;
        if (decision.Events.Count == 0)
        {
            replyTo.Tell(TargetsDecisions.MetadataOf(_state!, LastSequenceNr));
            return;
        }
        PersistAllAndApply(decision.Events, () =>
        {
            Log.Info("signed the empty repository served for tags with nothing published (targets v{0})", _state!.Unpublished!.TargetsVersion);
            replyTo.Tell(TargetsDecisions.MetadataOf(_state, LastSequenceNr));
        });
    }

    private void HandleRefresh()
    {
        var events = TargetsDecisions.RefreshExpiring(_repository!, _keys.Signers, _time);
        if (events.Count == 0) return;
        PersistAllAndApply(events, () => Log.Info("re-signed expiring metadata of [{0}]",
            string.Join(", ", events.Select(e => e is TagSigned tag ? $"tag {tag.Tag}" : "the unpublished tags' repository"))));
    }

    /// <summary>Persists the events, then applies them, publishes the new metadata and runs <paramref name="done"/>.</summary>
    private void PersistAllAndApply(IReadOnlyList<IFleetMessage> events, Action done)
    {
        var remaining = events.Count;
        PersistAll(events, e =>
        {
            _state = TargetsDecisions.Apply(_state!, e);
            if (--remaining > 0) return;
            _repository = TufRepository.Load(_state, _keys.Signers, _settings.Options, _time);
            if (LastSequenceNr % _settings.SnapshotEvery < events.Count) SaveSnapshot(new TargetRegistrySnapshot(_state));
            PublishMetadata();
            done();
        });
    }

    private void LogRootKeyPlace()
    {
        if (KeysDecisions.RolesOnline(_repository!, _keys.Signers).Contains(Role.Root))
            Log.Warning("embedded mode: the TUF root key is online on this node; for demos only, production keeps root offline (fleet-node init --offline-root)");
        else
            Log.Info("the TUF root key is offline: root changes are signed client-side with pbm keys rotate-root --key <root key file>");
    }

    private void RotateOnlineKey(RotateOnlineKey rotate)
    {
        if (Refuse(Sender, $"rotating the {rotate.Role} key", rotate.Role, KeysDecisions.Rotate(_repository!, _keys.Signers, _settings.KeyStore is not null, rotate).Refusal))
            return;
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
            Refuse(written.ReplyTo, $"rotating the {written.Role} key", written.Role, $"cannot store the new {written.Role} key in {_settings.KeyStore!.Directory}: {written.Failure.Message}");
            return;
        }
        var old = _repository!.Root.Signed.Roles[written.Role].KeyIds;
        var change = new RoleKeyChange(written.Role, [written.Key.PublicKey], 1);
        ChangeRoot(written.ReplyTo, written.Role, $"the {written.Role} key {KeysDecisions.Short(old)} is replaced by {KeysDecisions.Short([written.Key.KeyId])}", written.Key,
            KeysDecisions.ReplaceKey(_repository, _keys.With(written.Key), _time, change));
    }

    private void Submit(SubmitSignatures submit)
    {
        if (_keys.PendingRoot is { } root && root.Request.Id == submit.RequestId)
            ChangeRoot(Sender, submit.RequestId, root.What, root.NewKey, KeysDecisions.SubmitRoot(_repository!, root.Request, _keys.With(root.NewKey), _time, submit));
        else
            Change($"signatures for {submit.RequestId}", submit.RequestId,
                KeysDecisions.SubmitTargets(_repository!, _keys.PendingRoot?.Request, _keys.Signers, _time, submit), summary => _keys.Answer(_repository!, summary));
    }

    /// <summary>
    /// Root N+1 as decided on a copy: a refusal changes nothing; a root that still needs offline signatures is kept in
    /// memory and described; a committed one is persisted with the tags it re-signed, then keys no role lists are dropped.
    /// </summary>
    private void ChangeRoot(IActorRef replyTo, string subject, string what, KeyPair? newKey, Decision<RootSigned, SigningRequest> decision)
    {
        if (Refuse(replyTo, what, subject, decision.Refusal)) return;
        if (decision.Answer is { } request)
        {
            _keys.Waiting(new PendingRootChange(request, newKey, what));
            var pending = KeysDecisions.Describe(_repository!, request);
            replyTo.Tell(new KeysAnswer($"{what}: {pending.Needs}", [pending], KeysDecisions.RolesOnline(_repository!, _keys.Signers)));
            return;
        }
        Persist(decision.Events[0], signed =>
        {
            _state = KeysDecisions.Apply(_state!, signed);
            _repository = TufRepository.Load(_state, _keys.With(newKey), _settings.Options, _time);
            var keep = _keys.Committed(newKey, _repository);
            if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(new TargetRegistrySnapshot(_state));
            PublishMetadata();
            _settings.KeyStore?.DeleteAllBut(keep).PipeTo(Self, success: files => new OldKeysDeleted(files, null), failure: e => new OldKeysDeleted([], e));
            var resigned = signed.Tags.Count == 0 ? "" : $"; re-signed tags [{string.Join(", ", signed.Tags.Keys.Order(StringComparer.Ordinal))}]";
            Log.Info("{0}: root v{1} committed{2}", what, _state.Roots.Count, resigned);
            LogRootKeyPlace();
            replyTo.Tell(_keys.Answer(_repository, $"{what}: root v{_state.Roots.Count} signed{resigned}"));
        });
    }

    private void PublishMetadata() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(TargetsTopics.Metadata, TargetsDecisions.MetadataOf(_state!, LastSequenceNr)));

    private RepositoryState RequiredState() =>
        _state ?? throw new InvalidOperationException("journal corrupt: a tag event precedes the repository's initialization");
}
