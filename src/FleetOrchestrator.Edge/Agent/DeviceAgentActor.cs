using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Outbox;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Infrastructure.Persistence;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// The device's persistent update state machine (journal "device-agent" in the local SQLite file). Its decisions are pure
/// (<see cref="CheckInDecision"/>, <see cref="AgentState"/>, <see cref="UpdateEndings"/>); each step's I/O runs off the actor
/// (<see cref="UpdateStepRunner"/>) and its outcome is recorded before the next step begins, so a restart continues from the
/// last recorded step (or finishes a rollback). Reports go to the <see cref="EventOutboxActor"/> child, the status file to an <see cref="AgentStatusWriter"/>.
/// </summary>
public sealed class DeviceAgentActor : SnapshottingPersistentActor, IWithTimers
{
    private const int SnapshotEvery = 50;
    private const string PollTimer = "poll";

    private readonly EdgeSettings _settings;
    private readonly TimeProvider _time;
    private readonly bool _poll;
    private readonly UpdateStepRunner _steps;
    private readonly IActorRef _outbox;
    private readonly AgentReports _reports = new();
    private readonly AgentStatusWriter _status;
    /// <summary>Who waits for the end of the cycle under way.</summary>
    private readonly List<IActorRef> _waiting = [];
    /// <summary>Who asked for a flush of the outbox, in order: the outbox answers the agent in that order.</summary>
    private readonly Queue<IActorRef> _flushing = new();
    private AgentState _state = AgentState.Empty;
    private bool _busy;

    /// <param name="journalKey">Null for the device's own agent; the device name when several agents share one journal (simulate).</param>
    public DeviceAgentActor(EdgeSettings settings, UpdateSteps steps, HttpClient gateway, TimeProvider time, bool poll, string? journalKey)
    {
        _settings = settings;
        _time = time;
        _poll = poll;
        PersistenceId = journalKey is null ? "device-agent" : $"device-agent-{journalKey}";
        _steps = new UpdateStepRunner(steps, settings, Self);
        _outbox = Context.ActorOf(EventOutboxActor.PropsFor(gateway, settings.OutboxBatchSize, settings.OutboxRetryInterval, journalKey), "event-outbox");
        _status = new AgentStatusWriter(settings, Log);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is DeviceAgentSnapshot snapshot) _state = AgentState.From(snapshot);
        });
        Recover<RecoveryCompleted>(_ =>
        {
            _status.StateChanged(_state);
            // Closing events are recorded with the step; queue the last one again in case the outbox never stored it.
            if (_state.LastReport is { } last) Queue(last);
            _steps.ReadSystemInfo();
            if (_poll) Self.Tell(new RunCycle());
        });
        RecoverAny(e => _state = _state.Apply(e));

        Command<RunCycle>(OnRunCycle);
        Command<CheckDone>(OnChecked);
        Command<CheckFailed>(failed => Finish(new CycleFinished(CycleResult.Deferred, $"checking for updates failed: {failed.Error.Message}")));
        Command<StepDone>(OnStepDone);
        Command<StepFailed>(OnStepFailed);
        Command<HealthHeld>(OnHealthHeld);
        Command<ConfirmDone>(OnConfirmDone);
        Command<RolledBack>(OnRolledBack);
        Command<StatesRead>(OnStatesRead);
        Command<SystemInfoRead>(read => _outbox.Tell(AgentReports.SystemInfo(read.Info)));
        Command<CertificateChecked>(checkedOne =>
        {
            if (checkedOne.RenewedUntil is { } until) Log.Info("device certificate renewed: the new one is valid until {Until:u}", until);
        });
        Command<CertificateRenewalFailed>(failed => Log.Warning("renewing the device certificate failed (retried next cycle): {Reason}", failed.Error.Message));
        Command<Status.Failure>(failure => Log.Warning("reading app states or system facts failed: {Reason}", failure.Cause.Message));
        Command<OutboxPending>(pending => _status.PendingReportsChanged(pending.Count));
        Command<FlushOutbox>(flush =>
        {
            _flushing.Enqueue(Sender);
            _outbox.Tell(flush);
        });
        // The outbox tells its new count before it answers: the flush is answered once the status file shows that count.
        Command<OutboxFlushed>(flushed =>
        {
            if (_flushing.TryDequeue(out var asker)) _status.AnswerWhenWritten(asker, flushed);
        });
        DeleteEventsCoveredBySnapshots("agent");
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor(EdgeSettings settings, UpdateSteps steps, HttpClient gateway, TimeProvider time, bool poll, string? journalKey = null) =>
        Props.Create(() => new DeviceAgentActor(settings, steps, gateway, time, poll, journalKey));

    protected override void PostStop()
    {
        _steps.Stop();
        _status.AwaitWritten(); // a stopped agent leaves its last status in the file
        base.PostStop();
    }

    /// <summary>The tag and apps followed: the operator's config as the gateway last gave it (kept in the journal), else edge.conf's.</summary>
    private DeviceConfig Config => _settings.Follow(_state.Config);

    // ---------------------------------------------------------------- cycle

    /// <summary>Also the poll: told by the agent itself (or its timer), it has no one waiting.</summary>
    private void OnRunCycle(RunCycle run)
    {
        if (Sender is { } sender && !sender.IsNobody() && sender != Self) _waiting.Add(sender);
        if (_busy) return;
        _busy = true;
        _steps.RenewCertificateIfDue();
        if (_state.Update is { } update)
        {
            // Only an update recovered from the journal is under way here: queue again the events its phase implies (never stored?).
            Log.Info("resuming update {CorrelationId} to {Target} at step {Phase}", update.CorrelationId, update.Target.Name, update.Phase);
            Queue(UpdateEvents.ImpliedBy(update, _time.GetUtcNow()));
            _steps.RunAfter(update, Context);
            return;
        }
        _steps.Check(Config, run.RetryFailedTargets);
    }

    private void OnChecked(CheckDone check)
    {
        var targets = check.Targets;
        foreach (var skipped in targets.Skipped) Log.Warning("target skipped: {Problem}", skipped);
        if (targets.ConfigProblem is { } problem) Log.Warning("no config from the gateway ({Problem}); keeping {Config}", problem, Config);
        var decision = CheckInDecision.Decide(_state, targets, check.RetryFailed, _settings, Guid.NewGuid(), _time.GetUtcNow());
        foreach (var record in decision.Records)
        {
            if (record is FailedTargetsCleared) Log.Info("retrying failed targets {Targets}", string.Join(", ", _state.FailedTargets));
            if (record is ConfigReceived received)
                Log.Info("config from the gateway: {Config} (was {Previous})", received.Config?.ToString() ?? "none, edge.conf applies", Config);
            PersistRecord(record);
        }
        if (decision.Begun is not { } begun)
        {
            Finish(decision.Finished!);
            return;
        }
        Log.Info("update {CorrelationId}: {Reason}; install [{Install}], remove [{Remove}]", begun.CorrelationId, decision.Choice.Reason,
            string.Join(", ", begun.Install), string.Join(", ", begun.Remove));
        PersistRecord(begun, () =>
        {
            Queue(UpdateEvents.OnReaching(_state.Update!, UpdatePhase.Begun, _time.GetUtcNow()));
            _steps.RunAfter(_state.Update!, Context);
        });
    }

    private void OnStepDone(StepDone done)
    {
        if (UpdateOf(done.CorrelationId) is null) return;
        var (record, crashPoint) = done.Phase switch
        {
            UpdatePhase.Fetched => ((object)new UpdateFetched(done.CorrelationId), CrashPoints.AfterFetchRecorded),
            UpdatePhase.Installed => (new UpdateInstalled(done.CorrelationId), CrashPoints.AfterInstallRecorded),
            _ => (new UpdateStarted(done.CorrelationId), CrashPoints.AfterStartRecorded),
        };
        PersistRecord(record, () =>
        {
            CrashPoints.Reach(crashPoint);
            Queue(UpdateEvents.OnReaching(_state.Update!, done.Phase, _time.GetUtcNow()));
            _steps.RunAfter(_state.Update!, Context);
        });
    }

    private void OnStepFailed(StepFailed failed)
    {
        if (UpdateOf(failed.CorrelationId) is not { } update) return;
        if (failed.Phase == UpdatePhase.Fetched)
        {
            var (abandoned, finished) = UpdateEndings.FetchFailed(update, failed.Error, _time.GetUtcNow());
            PersistRecord(abandoned, () => Finish(finished, abandoned.Report));
            return;
        }
        BeginRollback(update, $"{(failed.Phase == UpdatePhase.Installed ? "installing" : "starting")} {update.Target.Name} failed: {failed.Error.Message}");
    }

    private void OnHealthHeld(HealthHeld held)
    {
        if (UpdateOf(held.CorrelationId) is not { } update) return;
        if (held.Problem is not null) BeginRollback(update, $"{update.Target.Name}: {held.Problem}");
        else _steps.Confirm(update);
    }

    /// <summary>The kept versions are dropped and removed apps cleaned up: the target is the device's.</summary>
    private void OnConfirmDone(ConfirmDone done)
    {
        if (UpdateOf(done.CorrelationId) is not { } update) return;
        CrashPoints.Reach(CrashPoints.BeforeConfirmRecorded);
        var (confirmed, finished) = UpdateEndings.Confirmed(update, done.Notes, _time.GetUtcNow());
        PersistRecord(confirmed, () =>
        {
            if (done.Notes.Length > 0) Log.Warning("update {CorrelationId} confirmed; clean-up notes: {Notes}", done.CorrelationId, done.Notes);
            Finish(finished, confirmed.Report);
        });
    }

    private void BeginRollback(UpdateInProgress update, string reason)
    {
        Log.Warning("update {CorrelationId} failed, rolling back: {Reason}", update.CorrelationId, reason);
        PersistRecord(new RollbackBegun(update.CorrelationId, reason), () => _steps.RunAfter(_state.Update!, Context));
    }

    private void OnRolledBack(RolledBack rolledBack)
    {
        if (UpdateOf(rolledBack.CorrelationId) is not { } update) return;
        var (abandoned, finished) = UpdateEndings.RolledBack(update, rolledBack.Problem, _time.GetUtcNow());
        PersistRecord(abandoned, () => Finish(finished, abandoned.Report));
    }

    /// <param name="closing">The closing event, queued once its record is stored.</param>
    private void Finish(CycleFinished finished, DeviceEvent? closing = null)
    {
        if (closing is not null) Queue(closing);
        _busy = false;
        if (finished.ExitCode == 0) Log.Info("cycle ended {Result}: {Message}", finished.Result, finished.Message);
        else Log.Warning("cycle ended {Result}: {Message}", finished.Result, finished.Message);
        _status.CycleEnded($"{finished.Result}: {finished.Message}");
        _steps.ReadStates(_state.Current, _waiting.ToList(), finished);
        _waiting.Clear();
        if (_poll) Timers.StartSingleTimer(PollTimer, new RunCycle(), _settings.PollInterval + _settings.PollJitter * Random.Shared.NextDouble());
    }

    /// <summary>Waiters hear of the end once the cycle's app states are queued (a flush then covers every report of the cycle)
    /// and its status is in the file (a status read then shows the cycle's end).</summary>
    private void OnStatesRead(StatesRead read)
    {
        if (read.Report is { } report && _reports.AppsStates(report) is { } changed) _outbox.Tell(changed);
        foreach (var waiter in read.Waiting) _status.AnswerWhenWritten(waiter, read.Finished);
    }

    // ---------------------------------------------------------------- records and reports

    private void PersistRecord(object record, Action? then = null) => Persist(record, e =>
    {
        _state = _state.Apply(e);
        if (LastSequenceNr % SnapshotEvery == 0) SaveSnapshot(_state.ToSnapshot());
        _status.StateChanged(_state);
        then?.Invoke();
    });

    /// <summary>The update under way, when <paramref name="correlationId"/> is its (else the message is of one that ended).</summary>
    private UpdateInProgress? UpdateOf(string correlationId) => _state.Update?.CorrelationId == correlationId ? _state.Update : null;

    private void Queue(params IEnumerable<DeviceEvent> events)
    {
        foreach (var e in events) _outbox.Tell(AgentReports.Event(e));
    }
}
