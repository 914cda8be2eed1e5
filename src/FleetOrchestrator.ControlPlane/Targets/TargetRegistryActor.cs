using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Persistence;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Targets;

/// <summary>What the target registry of one factory runs with.</summary>
/// <param name="InitialRoot">Root v1 made by <c>fleet-node init</c>; used only when the journal is empty.</param>
/// <param name="Signers">The private keys loaded on this node (online roles; root too in embedded mode).</param>
/// <param name="RefreshCheckInterval">How often expiring metadata is looked for and re-signed.</param>
/// <param name="SnapshotEvery">A snapshot is saved after this many events.</param>
public sealed record TargetRegistrySettings(
    string Factory,
    byte[] InitialRoot,
    IReadOnlyList<ISigner> Signers,
    RepositoryOptions Options,
    TimeSpan RefreshCheckInterval,
    int SnapshotEvery = 20,
    TimeProvider? Time = null);

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

    private readonly TargetRegistrySettings _settings;
    private readonly TimeProvider _time;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private RepositoryState? _state;
    private TufRepository? _repository;

    public TargetRegistryActor(TargetRegistrySettings settings)
    {
        _settings = settings;
        _time = settings.Time ?? TimeProvider.System;
        PersistenceId = $"target-registry-{settings.Factory}";

        Recover<SnapshotOffer>(offer => _state = ((TargetRegistrySnapshot)offer.Snapshot).State);
        Recover<RepositoryInitialized>(e => _state = TargetsState.Initial(e.Root));
        Recover<TagSigned>(e => _state = TargetsState.Apply(RequiredState(), e));
        Recover<RecoveryCompleted>(_ => Recovered());

        Command<RecordTarget>(record => Change($"target {record.Name}",
            () => (TargetsState.Record(_repository!, _settings.Signers, _time, record), TargetsState.TagsOf(record)),
            reason => new TargetRejected(record.Name, reason),
            tags => new TargetRecorded(record.Name, tags.ToDictionary(t => t, t => _state!.Tags[t].TargetsVersion))));
        Command<OpenWaveView>(open => ChangeWaveView(open.Tag, open.Wave, () => TargetsState.OpenWave(_repository!, _settings.Signers, _time, open)));
        Command<PromoteWaveView>(promote => ChangeWaveView(promote.Tag, promote.Wave,
            () => TargetsState.EndWave(_repository!, _settings.Signers, _time, promote.Tag, promote.Wave, WaveViewEnd.Promote)));
        Command<CloseWaveView>(close => ChangeWaveView(close.Tag, close.Wave,
            () => TargetsState.EndWave(_repository!, _settings.Signers, _time, close.Tag, close.Wave, WaveViewEnd.Close)));
        Command<WithdrawWaveView>(withdraw => ChangeWaveView(withdraw.Tag, withdraw.Wave,
            () => TargetsState.EndWave(_repository!, _settings.Signers, _time, withdraw.Tag, withdraw.Wave, WaveViewEnd.Withdraw)));
        Command<AdvanceTagViews>(advance => Change($"advancing the views of tag {advance.Tag}",
            () => TargetsState.AdvanceViews(_repository!, _settings.Signers, _time, advance.Tag),
            reason => new WaveViewRefused(advance.Tag, "", reason), version => new TagViewsAdvanced(advance.Tag, version)));
        Command<TagTargets>(tag => Change($"tagging version {tag.Version}", () => TargetsState.Tag(_repository!, _settings.Signers, _time, tag),
            reason => new TargetTagsRefused(tag.Version, reason), changed => changed));
        Command<PruneTargets>(prune => Change($"pruning version {prune.Version} from tag {prune.Tag}", () => TargetsState.Prune(_repository!, _settings.Signers, _time, prune),
            reason => new TargetTagsRefused(prune.Version, reason), changed => changed));
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
        _repository = TufRepository.Load(_state!, _settings.Signers, _settings.Options, _time);
        _log.Info("target registry of {0}: {1} root version(s), tags [{2}]", _settings.Factory, _state!.Roots.Count, string.Join(", ", _state.Tags.Keys));
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
        var events = TargetsState.RefreshExpiring(_repository!, _settings.Signers, _time);
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
            _repository = TufRepository.Load(_state, _settings.Signers, _settings.Options, _time);
            if (LastSequenceNr % _settings.SnapshotEvery < events.Count) SaveSnapshot(new TargetRegistrySnapshot(_state));
            PublishMetadata();
            done();
        });
    }

    private void PublishMetadata() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(TargetsTopics.Metadata, TargetsState.MetadataOf(_state!, LastSequenceNr)));

    private RepositoryState RequiredState() =>
        _state ?? throw new InvalidOperationException("journal corrupt: a tag event precedes the repository's initialization");
}
