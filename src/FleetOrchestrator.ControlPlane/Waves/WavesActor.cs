using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Targets;

namespace FleetOrchestrator.ControlPlane.Waves;

/// <summary>
/// Every wave of the factory, event-sourced (a cluster singleton): operator commands, and a periodic evaluation
/// that starts stages (devices picked from the fleet table), hands the wave's view to devices at the stage's ramp
/// rate, and applies the gates (<see cref="RolloutGate"/>) to what devices reported. Device outcomes come from the
/// fleet table, never from asking twins. Views are opened, promoted and closed by the target registry. Runs under
/// <see cref="WavesStatusActor"/>, which answers the queries.
/// </summary>
public sealed class WavesActor : ReceivePersistentActor, IWithTimers
{
    private sealed record Evaluate
    {
        public static Evaluate Instance { get; } = new();
    }

    private sealed record Evaluated(IReadOnlyList<IWaveEvent> Events);
    private sealed record RegistryAnswered(object Command, IActorRef ReplyTo, object Answer);

    private readonly FleetTable _fleet;
    private readonly IActorRef _targetRegistry;
    private readonly IActorRef _deviceTwins;
    private readonly WavesSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ImmutableDictionary<string, WaveRecord> _waves = WavesState.Empty;
    private bool _evaluating;
    private readonly MovedViews _viewsMoved;
    // Wave views handed out whose twins have not answered yet, and when the last was handed out or answered.
    private int _assigning;
    private DateTimeOffset _assigningSince;
    // Devices of ended waves still to hand back to production, through the same window. Not persisted: a gateway
    // serves production for a closed view anyway, so forgetting them in a restart changes nothing devices see.
    private readonly Queue<(string Tag, string Device)> _handingBack = new();

    public WavesActor(FleetTable fleet, IActorRef targetRegistry, IActorRef deviceTwins, WavesSettings settings)
    {
        _fleet = fleet;
        _targetRegistry = targetRegistry;
        _deviceTwins = deviceTwins;
        _settings = settings;
        _time = settings.Time ?? TimeProvider.System;
        _viewsMoved = new MovedViews(Propagation, AcknowledgementTimeout);

        Recover<SnapshotOffer>(offer => _waves = ((WavesSnapshot)offer.Snapshot).Waves.ToImmutableDictionary(w => w.Wave, StringComparer.Ordinal));
        Recover<IWaveEvent>(e => _waves = WavesState.Apply(_waves, e));
        Recover<RecoveryCompleted>(_ =>
        {
            Context.Parent.Tell(new WavesChanged(_waves));
            // A move may have been made just before a stop: advance the views of every open wave's tag once.
            foreach (var wave in _waves.Values.Where(w => w.IsOpen)) _viewsMoved.Moved(wave.Tag, 0, Now);
            Timers.StartPeriodicTimer("evaluate", Evaluate.Instance, settings.EvaluateInterval);
        });
        Ready();
    }

    public override string PersistenceId => "waves";
    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor(FleetTable fleet, IActorRef targetRegistry, IActorRef deviceTwins, WavesSettings settings) =>
        Props.Create(() => new WavesActor(fleet, targetRegistry, deviceTwins, settings));

    private void Ready()
    {
        Command<InitWave>(init =>
        {
            if (Refuse(init.Wave, WavesState.CheckInit(_waves, init))) return;
            AskRegistry(init, new OpenWaveView(init.Tag, init.Wave, init.Version));
        });
        Command<RolloutWave>(rollout =>
        {
            if (Refuse(rollout.Wave, WavesState.CheckRollout(_waves, rollout))) return;
            PersistAndAnswer([new WaveStageAdded(rollout.Wave, rollout.Selection, rollout.Gates)], rollout.Wave, then: () => Self.Tell(Evaluate.Instance));
        });
        Command<PauseWave>(pause => ChangeStatus(pause.Wave, WaveStatus.Paused, "paused by an operator", onlyFrom: WaveStatus.Active));
        Command<ResumeWave>(resume =>
        {
            var (wave, problem) = WavesState.Open(_waves, resume.Wave);
            if (Refuse(resume.Wave, problem)) return;
            var events = new List<IWaveEvent>();
            if (wave!.CurrentStage is { } i && wave.Stages[i].Status is StageStatus.Tripped or StageStatus.AwaitingApproval)
                events.Add(new WaveStageDecided(wave.Wave, i, StageStatus.Passed, "accepted by an operator", wave.Stages[i].SuccessReachedAt, wave.Stages[i].Tally ?? new StageTally(0, 0, 0, 0, 0, false)));
            if (wave.Status == WaveStatus.Paused) events.Add(new WaveStatusChanged(wave.Wave, WaveStatus.Active, "resumed by an operator", Now));
            PersistAndAnswer(events, wave.Wave, then: () => Self.Tell(Evaluate.Instance));
        });
        Command<AbortWave>(abort => EndWave(abort, abort.Wave,
            abort.Rollback ? new WithdrawWaveView(TagOf(abort.Wave), abort.Wave) : new CloseWaveView(TagOf(abort.Wave), abort.Wave)));
        Command<CancelWave>(cancel => EndWave(cancel, cancel.Wave, new CloseWaveView(TagOf(cancel.Wave), cancel.Wave)));
        Command<CompleteWave>(complete => EndWave(complete, complete.Wave, new PromoteWaveView(TagOf(complete.Wave), complete.Wave)));
        Command<Evaluate>(_ =>
        {
            AdvanceMovedViews();
            ForgetLostAnswers();
            HandOut();
            StartEvaluation();
        });
        Command<Evaluated>(OnEvaluated);
        Command<DeviceViewAnswered>(answered =>
        {
            Answered(answered);
            if (_assigning <= _settings.AssigningWindow / 2) HandOut();
        });
        Command<TagViewsAdvanced>(advanced => _log.Info("views of tag {0} advanced to version {1}: moved devices read their new view", advanced.Tag, advanced.TargetsVersion));
        Command<WaveViewRefused>(refused => _log.Warning("advancing the views of tag {0} failed: {1}", refused.Tag, refused.Reason));
        Command<Status.Failure>(failure =>
        {
            _evaluating = false;
            _log.Warning(failure.Cause, "evaluating waves failed; trying again at the next interval");
        });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "saving the waves snapshot failed"));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    /// <summary>Waits for the target registry (its view change must be signed before the wave records it); other commands wait in the stash.</summary>
    private void AwaitingRegistry()
    {
        Command<RegistryAnswered>(answered =>
        {
            Become(Ready);
            Stash.UnstashAll();
            OnRegistryAnswer(answered);
        });
        Command<Evaluate>(_ => { });
        Command<Evaluated>(OnEvaluated);
        Command<DeviceViewAnswered>(Answered);
        CommandAny(_ => Stash.Stash());
    }

    private void AskRegistry(object command, object registryCommand)
    {
        var replyTo = Sender;
        _targetRegistry.Ask(registryCommand, _settings.RegistryAskTimeout).PipeTo(Self,
            success: answer => new RegistryAnswered(command, replyTo, answer),
            failure: e => new RegistryAnswered(command, replyTo, new WaveViewRefused("", "", $"the target registry did not answer: {e.Message}")));
        Become(AwaitingRegistry);
    }

    private void OnRegistryAnswer(RegistryAnswered answered)
    {
        var wave = answered.Command switch { InitWave i => i.Wave, AbortWave a => a.Wave, CancelWave c => c.Wave, CompleteWave c => c.Wave, _ => "" };
        if (answered.Answer is not WaveViewChanged changed)
        {
            var reason = answered.Answer is WaveViewRefused refused ? refused.Reason : $"unexpected answer {answered.Answer.GetType().Name}";
            answered.ReplyTo.Tell(new WaveRefused(wave, reason));
            return;
        }
        IWaveEvent e = answered.Command switch
        {
            InitWave init => new WaveInitialized(init.Wave, init.Tag, init.Version, changed.Target, Now),
            AbortWave { Rollback: true } => new WaveStatusChanged(wave, WaveStatus.Aborted,
                $"aborted by an operator; {changed.Target} is withdrawn and its devices go back to production", Now),
            AbortWave => new WaveStatusChanged(wave, WaveStatus.Aborted, "aborted by an operator", Now),
            CancelWave => new WaveStatusChanged(wave, WaveStatus.Cancelled, "cancelled by an operator", Now),
            _ => new WaveStatusChanged(wave, WaveStatus.Completed, $"{_waves[wave].Target} is production for tag {_waves[wave].Tag}", Now),
        };
        Persist(e, persisted =>
        {
            Applied(persisted);
            var record = _waves[wave];
            // An ended wave hands its devices back to production: after complete that view has the wave's target.
            if (!record.IsOpen)
            {
                foreach (var device in record.Devices) _handingBack.Enqueue((record.Tag, device));
                HandOut();
            }
            _log.Info("wave {0}: {1}", wave, record.Status);
            answered.ReplyTo.Tell(new WaveAccepted(record.Summary()));
        });
    }

    private void EndWave(object command, string name, object registryCommand)
    {
        if (Refuse(name, WavesState.Open(_waves, name).Problem)) return;
        AskRegistry(command, registryCommand);
    }

    private void ChangeStatus(string name, WaveStatus status, string reason, WaveStatus onlyFrom)
    {
        var (wave, problem) = WavesState.Open(_waves, name);
        if (Refuse(name, problem ?? (wave!.Status != onlyFrom ? $"wave {name} is {wave.Status}" : null))) return;
        PersistAndAnswer([new WaveStatusChanged(name, status, reason, Now)], name);
    }

    private void PersistAndAnswer(IReadOnlyList<IWaveEvent> events, string wave, Action? then = null)
    {
        var replyTo = Sender;
        if (events.Count == 0)
        {
            replyTo.Tell(new WaveAccepted(_waves[wave].Summary()));
            return;
        }
        var remaining = events.Count;
        PersistAll(events, e =>
        {
            Applied(e);
            if (--remaining > 0) return;
            replyTo.Tell(new WaveAccepted(_waves[wave].Summary()));
            then?.Invoke();
        });
    }

    private void Applied(IWaveEvent e)
    {
        _waves = WavesState.Apply(_waves, e);
        Context.Parent.Tell(new WavesChanged(_waves));
        if (e is WaveDevicesReleased released)
        {
            var wave = _waves[released.Wave];
            MoveViews(wave.Tag, wave.Wave, released.DeviceIds);
        }
        if (e is WaveStageDecided { Status: StageStatus.Tripped } tripped)
            _log.Warning("wave {0} stage {1} tripped: {2}", tripped.Wave, tripped.Stage, tripped.Reason);
        if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(new WavesSnapshot(_waves.Values.ToList()));
    }

    /// <summary>
    /// Hands <paramref name="devices"/> the view (null: production); they take room in the assigning window until their
    /// twins answer with <see cref="DeviceViewAnswered"/>.
    /// </summary>
    private void MoveViews(string tag, string? view, IReadOnlyCollection<string> devices)
    {
        foreach (var device in devices) _deviceTwins.Tell(new AssignDeviceView(device, tag, view));
        _viewsMoved.Moved(tag, devices.Count, Now);
        (_assigning, _assigningSince) = (_assigning + devices.Count, Now);
    }

    /// <summary>Re-signs the views of tags whose moves every gateway now serves (see <see cref="MovedViews"/>).</summary>
    private void AdvanceMovedViews()
    {
        foreach (var tag in _viewsMoved.Due(Now)) _targetRegistry.Tell(new AdvanceTagViews(tag));
    }

    // Distributed pub/sub reaches other nodes' gateways well within this; the evaluation tick adds its own delay.
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan AcknowledgementTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Persists what an evaluation decided, for the waves still active (an operator may have paused or ended one meanwhile); a started stage releases at once.</summary>
    private void OnEvaluated(Evaluated evaluated)
    {
        _evaluating = false;
        var events = evaluated.Events.Where(e => _waves.GetValueOrDefault(e.Wave)?.Status == WaveStatus.Active).ToList();
        var remaining = events.Count;
        if (remaining > 0)
            PersistAll(events, e =>
            {
                Applied(e);
                if (--remaining == 0) Release();
            });
    }

    /// <summary>Fills the assigning window: devices of ended waves back to production first, then the wave views due.</summary>
    private void HandOut()
    {
        var handBack = new List<(string Tag, string Device)>();
        while (_handingBack.Count > 0 && _assigning + handBack.Count < _settings.AssigningWindow) handBack.Add(_handingBack.Dequeue());
        foreach (var tag in handBack.GroupBy(h => h.Tag, StringComparer.Ordinal))
            MoveViews(tag.Key, null, tag.Select(h => h.Device).ToList());
        Release();
    }

    /// <summary>Hands the wave views due now to twins (<see cref="WavesState.ToRelease"/>): ramp, and room in the assigning window.</summary>
    private void Release()
    {
        var now = Now;
        var capacity = _settings.AssigningWindow - _assigning;
        var released = new List<IWaveEvent>();
        foreach (var wave in _waves.Values)
        {
            if (WavesState.ToRelease(wave, now, capacity, _settings.AssigningWindow) is not { } e) continue;
            released.Add(e);
            capacity -= e.DeviceIds.Count;
        }
        if (released.Count > 0) PersistAll(released, Applied);
    }

    /// <summary>A twin serves its new view (also while the registry is asked: the acknowledgement must not be lost, or the tag's views wait for the timeout).</summary>
    private void Answered(DeviceViewAnswered answered)
    {
        _viewsMoved.Acknowledged(answered.Tag, Now);
        if (_assigning == 0) return;
        _assigning--;
        _assigningSince = Now;
    }

    private void ForgetLostAnswers()
    {
        if (_assigning == 0 || Now - _assigningSince < _settings.TwinAnswerTimeout) return;
        _log.Warning("{0} twins did not answer their wave view within {1}; handing out more", _assigning, _settings.TwinAnswerTimeout);
        _assigning = 0;
    }

    /// <summary>Reads the fleet table off the actor and pipes back the events the open waves need now.</summary>
    private void StartEvaluation()
    {
        if (_evaluating) return;
        var active = _waves.Values.Where(w => w.Status == WaveStatus.Active && w.Stages.Count > 0).ToList();
        if (active.Count == 0) return;
        _evaluating = true;
        var now = Now;
        EvaluateAsync(active, now).PipeTo(Self, success: events => new Evaluated(events));
    }

    private async Task<IReadOnlyList<IWaveEvent>> EvaluateAsync(IReadOnlyList<WaveRecord> waves, DateTimeOffset now)
    {
        var events = new List<IWaveEvent>();
        foreach (var wave in waves)
        {
            var rows = await RowsOfTagAsync(wave.Tag);
            if (WavesState.StageToStart(wave) is { } start)
            {
                var stage = wave.Stages[start];
                var candidates = rows.Values.Select(r => new CandidateDevice(r.DeviceId, r.Group, r.LastSeen)).ToList();
                var picked = StageSelector.Pick(stage.Selection, candidates, wave.Devices.ToHashSet(StringComparer.Ordinal), now, Random.Shared);
                if (picked.Error is { } error)
                {
                    events.Add(new WaveStageDecided(wave.Wave, start, StageStatus.Tripped, $"cannot select devices: {error}", null, new StageTally(0, 0, 0, 0, 0, false)));
                    events.Add(new WaveStatusChanged(wave.Wave, WaveStatus.Paused, $"stage {start} cannot select devices: {error}", now));
                    continue;
                }
                events.Add(new WaveStageStarted(wave.Wave, start, picked.DeviceIds, now));
                continue;
            }
            if (wave.CurrentStage is not { } current || wave.Stages[current] is not { StartedAt: { } startedAt } running
                || running.Status is StageStatus.Tripped or StageStatus.AwaitingApproval or StageStatus.Pending)
                continue;
            var decision = RolloutGate.Evaluate(running.Gates, WavesState.DevicesOf(wave, running, rows), startedAt, running.SuccessReachedAt, now);
            var status = WavesState.StatusOf(decision.Outcome);
            if (status != running.Status || decision.Tally != running.Tally)
                events.Add(new WaveStageDecided(wave.Wave, current, status, decision.Reason, decision.SuccessReachedAt, decision.Tally));
            if (status is StageStatus.Tripped or StageStatus.AwaitingApproval)
                events.Add(new WaveStatusChanged(wave.Wave, WaveStatus.Paused, $"stage {current}: {decision.Reason}", now));
        }
        return events;
    }

    /// <summary>Every fleet-table row of a tag, a page at a time.</summary>
    private async Task<IReadOnlyDictionary<string, FleetRow>> RowsOfTagAsync(string tag)
    {
        var rows = new Dictionary<string, FleetRow>(StringComparer.Ordinal);
        string? after = null;
        while (true)
        {
            var page = await _fleet.ListAsync(new FleetQuery(Tag: tag, After: after, Limit: FleetQuery.MaxLimit));
            foreach (var row in page) rows[row.DeviceId] = row;
            if (page.Count < FleetQuery.MaxLimit) return rows;
            after = page[^1].DeviceId;
        }
    }

    private string TagOf(string wave) => _waves.TryGetValue(wave, out var record) ? record.Tag : "";

    private DateTimeOffset Now => _time.GetUtcNow();

    private bool Refuse(string wave, string? problem)
    {
        if (problem is null) return false;
        Sender.Tell(new WaveRefused(wave, problem));
        return true;
    }
}
