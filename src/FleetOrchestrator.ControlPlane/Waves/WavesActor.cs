using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Infrastructure.Persistence;

namespace FleetOrchestrator.ControlPlane.Waves;

/// <summary>
/// Every wave of the factory, event-sourced (a cluster singleton): operator commands, and a periodic evaluation that
/// starts stages, applies the gates and hands the wave's view to devices. What to do is decided by
/// <see cref="WavesDecisions"/> (commands) and <see cref="WaveEvaluation"/> (from the fleet table, never from asking
/// twins); this actor persists, waits for the target registry (which opens, promotes and closes views), and owns the
/// bookkeeping of handing views out: the <see cref="AssigningWindow"/> and <see cref="MovedViews"/>. Runs under
/// <see cref="WavesStatusActor"/>, which answers the queries.
/// </summary>
public sealed class WavesActor : SnapshottingPersistentActor, IWithTimers
{
    private sealed record Evaluate
    {
        public static Evaluate Instance { get; } = new();
    }

    private sealed record Evaluated(IReadOnlyList<IWaveEvent> Events);
    private sealed record RegistryAnswered(IWaveCommand Command, IActorRef ReplyTo, object Answer);

    private readonly FleetTable _fleet;
    private readonly IActorRef _targetRegistry;
    private readonly WavesSettings _settings;
    private readonly TimeProvider _time;
    private readonly ViewHandout _views;
    private ImmutableDictionary<string, WaveRecord> _waves = WavesDecisions.Empty;
    private bool _evaluating;

    public WavesActor(FleetTable fleet, IActorRef targetRegistry, IActorRef deviceTwins, WavesSettings settings)
    {
        _fleet = fleet;
        _targetRegistry = targetRegistry;
        _settings = settings;
        _time = settings.Time ?? TimeProvider.System;
        // Distributed pub/sub reaches other nodes' gateways well within a second; the evaluation tick adds its own delay.
        _views = new ViewHandout(deviceTwins, targetRegistry, new AssigningWindow(settings.AssigningWindow, settings.TwinAnswerTimeout),
            new MovedViews(propagation: TimeSpan.FromSeconds(1), acknowledgementTimeout: TimeSpan.FromSeconds(30)));

        Recover<SnapshotOffer>(offer => _waves = ((WavesSnapshot)offer.Snapshot).Waves.ToImmutableDictionary(w => w.Wave, StringComparer.Ordinal));
        Recover<IWaveEvent>(e => _waves = WavesDecisions.Apply(_waves, e));
        Recover<RecoveryCompleted>(_ =>
        {
            Context.Parent.Tell(new WavesChanged(_waves));
            _views.Restarted(_waves.Values.Where(w => w.IsOpen).Select(w => w.Tag), Now);
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
        Command<InitWave>(init => Decide(init, WavesDecisions.Init(_waves, init), new OpenWaveView(init.Tag, init.Wave, init.Version)));
        Command<RolloutWave>(rollout => Decide(rollout, WavesDecisions.Rollout(_waves, rollout), evaluate: true));
        Command<PauseWave>(pause => Decide(pause, WavesDecisions.Pause(_waves, pause, Now)));
        Command<ResumeWave>(resume => Decide(resume, WavesDecisions.Resume(_waves, resume, Now), evaluate: true));
        Command<AbortWave>(abort => Decide(abort, WavesDecisions.End(_waves, abort),
            abort.Rollback ? new WithdrawWaveView(TagOf(abort.Wave), abort.Wave) : new CloseWaveView(TagOf(abort.Wave), abort.Wave)));
        Command<CancelWave>(cancel => Decide(cancel, WavesDecisions.End(_waves, cancel), new CloseWaveView(TagOf(cancel.Wave), cancel.Wave)));
        Command<CompleteWave>(complete => Decide(complete, WavesDecisions.End(_waves, complete), new PromoteWaveView(TagOf(complete.Wave), complete.Wave)));
        Command<Evaluate>(_ =>
        {
            _views.AdvanceMovedViews(Now);
            if (_views.Window.ForgetLost(Now) is > 0 and var lost)
                Log.Warning("{0} twins did not answer their wave view within {1}; handing out more", lost, _settings.TwinAnswerTimeout);
            HandOut();
            StartEvaluation();
        });
        Command<Evaluated>(OnEvaluated);
        Command<DeviceViewAnswered>(answered =>
        {
            if (_views.Answered(answered, Now)) HandOut();
        });
        Command<TagViewsAdvanced>(advanced => Log.Info("views of tag {0} advanced to version {1}: moved devices read their new view", advanced.Tag, advanced.TargetsVersion));
        Command<Refused>(refused => Log.Warning("advancing the views of tag {0} failed: {1}", refused.Subject, refused.Reason));
        Command<Status.Failure>(failure =>
        {
            _evaluating = false;
            Log.Warning(failure.Cause, "evaluating waves failed; trying again at the next interval");
        });
        KeepOnlyLatestSnapshot("waves");
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
        // A twin's acknowledgement must not wait: the tag's views would wait for the acknowledgement timeout.
        Command<DeviceViewAnswered>(answered => _views.Answered(answered, Now));
        CommandAny(_ => Stash.Stash());
    }

    /// <summary>
    /// Answers a refusal; a command that changes the wave's view first asks the registry for <paramref name="registryCommand"/>;
    /// else the events are persisted and the wave is answered (then evaluated at once when <paramref name="evaluate"/>).
    /// </summary>
    private void Decide(IWaveCommand command, Decision<IWaveEvent> decision, object? registryCommand = null, bool evaluate = false)
    {
        if (decision.Refusal is { } reason) Sender.Tell(new Refused(command.Wave, reason));
        else if (registryCommand is not null) AskRegistry(command, registryCommand);
        else PersistAndAnswer(decision.Events, command.Wave, Sender, evaluate ? () => Self.Tell(Evaluate.Instance) : null);
    }

    private void AskRegistry(IWaveCommand command, object registryCommand)
    {
        var replyTo = Sender;
        _targetRegistry.Ask(registryCommand, _settings.RegistryAskTimeout).PipeTo(Self,
            success: answer => new RegistryAnswered(command, replyTo, answer),
            failure: e => new RegistryAnswered(command, replyTo, new Refused(command.Wave, $"the target registry did not answer: {e.Message}")));
        Become(AwaitingRegistry);
    }

    private void OnRegistryAnswer(RegistryAnswered answered)
    {
        var wave = answered.Command.Wave;
        if (answered.Answer is not WaveViewChanged changed)
        {
            var reason = answered.Answer is Refused refused ? refused.Reason : $"unexpected answer {answered.Answer.GetType().Name}";
            answered.ReplyTo.Tell(new Refused(wave, reason));
            return;
        }
        PersistAndAnswer(WavesDecisions.ViewChanged(_waves, answered.Command, changed, Now).Events, wave, answered.ReplyTo, () =>
        {
            var record = _waves[wave];
            Log.Info("wave {0}: {1}", wave, record.Status);
            if (record.IsOpen) return;
            // An ended wave hands its devices back to production: after complete that view has the wave's target.
            _views.Window.HandBack(record.Tag, record.Devices);
            HandOut();
        });
    }

    private void PersistAndAnswer(IReadOnlyList<IWaveEvent> events, string wave, IActorRef replyTo, Action? then)
    {
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
        _waves = WavesDecisions.Apply(_waves, e);
        Context.Parent.Tell(new WavesChanged(_waves));
        if (e is WaveDevicesReleased released)
        {
            var wave = _waves[released.Wave];
            _views.Move(wave.Tag, wave.Wave, released.DeviceIds, Now);
        }
        if (e is WaveStageDecided { Status: StageStatus.Tripped } tripped)
            Log.Warning("wave {0} stage {1} tripped: {2}", tripped.Wave, tripped.Stage, tripped.Reason);
        if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(new WavesSnapshot(_waves.Values.ToList()));
    }

    /// <summary>Fills the assigning window: devices of ended waves back to production first, then the wave views due.</summary>
    private void HandOut()
    {
        _views.HandBack(Now);
        Release();
    }

    private void Release()
    {
        var released = WaveEvaluation.Releases(_waves.Values, Now, _views.Window.Room, _views.Window.Size);
        if (released.Count > 0) PersistAll(released, Applied);
    }

    /// <summary>Reads the fleet table off the actor and pipes back the events the active waves need now.</summary>
    private void StartEvaluation()
    {
        if (_evaluating) return;
        var active = _waves.Values.Where(w => w.Status == WaveStatus.Active && w.Stages.Count > 0).ToList();
        if (active.Count == 0) return;
        _evaluating = true;
        var (fleet, now) = (_fleet, Now);
        EvaluateAsync().PipeTo(Self, success: events => new Evaluated(events));

        async Task<IReadOnlyList<IWaveEvent>> EvaluateAsync()
        {
            var events = new List<IWaveEvent>();
            foreach (var wave in active)
            {
                var rows = new Dictionary<string, FleetRow>(StringComparer.Ordinal);
                await foreach (var page in fleet.PagesAsync(new FleetQuery(Tag: wave.Tag)))
                    foreach (var row in page) rows[row.DeviceId] = row;
                events.AddRange(WaveEvaluation.Evaluate(wave, rows, now, Random.Shared));
            }
            return events;
        }
    }

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

    private string TagOf(string wave) => _waves.TryGetValue(wave, out var record) ? record.Tag : "";

    private DateTimeOffset Now => _time.GetUtcNow();
}
