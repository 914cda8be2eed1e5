using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Fetch;
using FleetOrchestrator.Edge.Outbox;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Tuf.Client;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// The device's persistent update state machine (journal "device-agent" in the local SQLite file). Each step's
/// I/O runs in <see cref="UpdateSteps"/> and is piped back; the step is recorded before the next begins, so a
/// restart continues from the last recorded step (or finishes a rollback). Reports go to the <see cref="EventOutboxActor"/> child.
/// </summary>
public sealed class DeviceAgentActor : ReceivePersistentActor, IWithTimers
{
    private const int SnapshotEvery = 50;
    private const string PollTimer = "poll";

    private readonly EdgeSettings _settings;
    private readonly UpdateSteps _steps;
    private readonly TimeProvider _time;
    private readonly bool _poll;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<IActorRef> _waiting = [];
    private AgentState _state = AgentState.Empty;
    private readonly IActorRef _outbox;
    private bool _busy;
    private int _pendingReports;
    private string _lastResult = "";
    private string? _lastAppsStates;
    private readonly Dictionary<IActorRef, string> _fetching = [];
    private readonly Dictionary<string, int> _fetchAttempts = new(StringComparer.Ordinal);
    private Exception? _lastFetchError;
    private int _fetchers;
    private bool _resumed;

    // ---- results of piped I/O
    private sealed record Checked(TargetsChecked Targets, bool RetryFailed);
    private sealed record StepDone(string CorrelationId, UpdatePhase Phase);
    private sealed record ConfirmDone(string CorrelationId, string Notes);
    private sealed record StepFailed(string CorrelationId, UpdatePhase Phase, Exception Error);
    private sealed record HealthHeld(string CorrelationId, string? Problem);
    private sealed record RolledBack(string CorrelationId, string? Problem);
    private sealed record CheckFailed(Exception Error);
    /// <summary>The app states read after a cycle (null when they could not be read), and who waits for that cycle's end.</summary>
    private sealed record StatesRead(AppsStatesReport? Report, IReadOnlyList<IActorRef> Waiting, CycleFinished Finished);
    private sealed record Poll;
    private sealed record SystemInfoRead(SystemInfoReport Info);

    /// <param name="journalKey">Null for the device's own agent; the device name when several agents share one journal (simulate).</param>
    public DeviceAgentActor(EdgeSettings settings, UpdateSteps steps, HttpClient gateway, TimeProvider time, bool poll, string? journalKey)
    {
        _settings = settings;
        _steps = steps;
        _time = time;
        _poll = poll;
        PersistenceId = journalKey is null ? "device-agent" : $"device-agent-{journalKey}";
        _outbox = Context.ActorOf(EventOutboxActor.PropsFor(gateway, settings.OutboxBatchSize, settings.OutboxRetryInterval, journalKey), "event-outbox");

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is DeviceAgentSnapshot snapshot) _state = AgentState.From(snapshot);
        });
        Recover<RecoveryCompleted>(_ =>
        {
            WriteStatus();
            // Closing events are recorded with the step; queue the last one again in case the outbox never stored it.
            if (_state.LastReport is { } last) Queue(last);
            _steps.SystemInfoAsync(Ct).PipeTo(Self, success: info => new SystemInfoRead(info));
            if (_state.Update is { } update)
                _log.Info("resuming update {CorrelationId} to {Target} at step {Phase}", update.CorrelationId, update.Target.Name, update.Phase);
            if (_poll) Self.Tell(new Poll());
        });
        RecoverAny(e => _state = _state.Apply(e));

        Command<RunCycle>(OnRunCycle);
        Command<Poll>(_ =>
        {
            if (!_busy) OnRunCycle(new RunCycle());
        });
        Command<Checked>(OnChecked);
        Command<CheckFailed>(failed => Finish(CycleResult.Deferred, $"checking for updates failed: {failed.Error.Message}"));
        Command<AppFetchSucceeded>(OnAppFetched);
        Command<AppFetchAttemptFailed>(OnFetchAttemptFailed);
        Command<Terminated>(OnFetcherTerminated);
        Command<StepDone>(OnStepDone);
        Command<StepFailed>(OnStepFailed);
        Command<HealthHeld>(OnHealthHeld);
        Command<ConfirmDone>(OnConfirmDone);
        Command<RolledBack>(OnRolledBack);
        Command<StatesRead>(OnStatesRead);
        Command<SystemInfoRead>(read =>
        {
            // Its id is the hash of its content: unchanged facts already delivered are not sent again.
            var json = JsonSerializer.Serialize(read.Info, DeviceApiJson.Options);
            _outbox.Tell(new QueueReport(ReportEndpoints.SystemInfo, json, "system-info-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(json)))[..32]));
        });
        Command<Status.Failure>(failure => _log.Warning("reading app states or system facts failed: {Reason}", failure.Cause.Message));
        Command<OutboxPending>(pending =>
        {
            _pendingReports = pending.Count;
            WriteStatus();
        });
        Command<FlushOutbox>(flush => _outbox.Forward(flush));
        Command<SaveSnapshotSuccess>(success => DeleteMessages(success.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(failure => _log.Warning("agent snapshot failed: {Reason}", failure.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failure => _log.Warning("agent journal cleanup failed: {Reason}", failure.Cause.Message));
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor(EdgeSettings settings, UpdateSteps steps, HttpClient gateway, TimeProvider time, bool poll, string? journalKey = null) =>
        Props.Create(() => new DeviceAgentActor(settings, steps, gateway, time, poll, journalKey));

    protected override void PostStop()
    {
        _stopping.Cancel();
        base.PostStop();
    }

    private CancellationToken Ct => _stopping.Token;

    /// <summary>The tag and apps followed: the operator's config as the gateway last gave it (kept in the journal), else edge.conf's.</summary>
    private DeviceConfig Config => _settings.Follow(_state.Config);

    // ---------------------------------------------------------------- cycle

    private void OnRunCycle(RunCycle run)
    {
        if (Sender is { } sender && !sender.IsNobody() && sender != Self) _waiting.Add(sender);
        if (_busy) return;
        _busy = true;
        if (_state.Update is { } update)
        {
            if (!_resumed) RequeueEventsOf(update);
            _resumed = true;
            Continue(update);
            return;
        }
        var retry = run.RetryFailedTargets;
        _steps.CheckAsync(Config, Ct).ContinueWith(t => t.IsCompletedSuccessfully ? new Checked(t.Result, retry) : (object)new CheckFailed(Unwrap(t.Exception)),
            TaskScheduler.Default).PipeTo(Self);
    }

    private void OnChecked(Checked check)
    {
        foreach (var skipped in check.Targets.Skipped) _log.Warning("target skipped: {Problem}", skipped);
        if (check.RetryFailed && _state.FailedTargets.Count > 0)
        {
            _log.Info("retrying failed targets {Targets}", string.Join(", ", _state.FailedTargets));
            PersistRecord(new FailedTargetsCleared(_time.GetUtcNow()));
        }
        PersistRecord(new CheckedIn(check.Targets.At));
        if (check.Targets.ConfigProblem is { } problem) _log.Warning("no config from the gateway ({Problem}); keeping {Config}", problem, Config);
        else if (!Equals(check.Targets.Config, _state.Config))
        {
            _log.Info("config from the gateway: {Config} (was {Previous})", check.Targets.Config?.ToString() ?? "none, edge.conf applies", Config);
            PersistRecord(new ConfigReceived(check.Targets.Config, check.Targets.At));
        }
        var config = check.Targets.ConfigProblem is null ? _settings.Follow(check.Targets.Config) : Config;
        var installed = _state.Current is { } current ? new InstalledVersion(current.Name, current.Version) : null;
        var choice = TargetSelection.Select(check.Targets.Candidates, _settings.HardwareId, config.Tag, installed, _state.FailedTargets, _settings.DowngradeAllowed);
        switch (choice.Outcome)
        {
            case SelectionOutcome.NoTarget:
                Finish(CycleResult.NoTarget, choice.Reason);
                return;
            case SelectionOutcome.DowngradeRefused:
                Finish(CycleResult.Refused, choice.Reason);
                return;
        }
        var correlationId = $"{choice.Target!.Version}-{Guid.NewGuid()}";
        var begun = _state.Plan(choice.Target, config.Apps, correlationId, _time.GetUtcNow());
        if (begun is null)
        {
            Finish(CycleResult.UpToDate, choice.Reason);
            return;
        }
        _log.Info("update {CorrelationId}: {Reason}; install [{Install}], remove [{Remove}]", correlationId, choice.Reason,
            string.Join(", ", begun.Install), string.Join(", ", begun.Remove));
        PersistRecord(begun, () =>
        {
            Report(DeviceEventTypes.DownloadStarted, null, null);
            Continue(_state.Update!);
        });
    }

    /// <summary>Runs the step after <paramref name="update"/>'s recorded phase.</summary>
    private void Continue(UpdateInProgress update)
    {
        var id = update.CorrelationId;
        switch (update.Phase)
        {
            case UpdatePhase.Begun:
                StartFetchers(update);
                break;
            case UpdatePhase.Fetched:
                Run(id, UpdatePhase.Installed, () => _steps.InstallAsync(update, Ct));
                break;
            case UpdatePhase.Installed:
                Run(id, UpdatePhase.Started, () => _steps.StartAsync(update.Target, update.Install, Ct));
                break;
            case UpdatePhase.Started:
                _steps.HoldHealthyAsync(update.Target, Ct).ContinueWith(t => new HealthHeld(id, t.IsCompletedSuccessfully ? t.Result : Unwrap(t.Exception).Message),
                    TaskScheduler.Default).PipeTo(Self);
                break;
            case UpdatePhase.RollingBack:
                _steps.RollBackAsync(update, Ct).ContinueWith(t => new RolledBack(id, t.IsCompletedSuccessfully ? t.Result : Unwrap(t.Exception).Message),
                    TaskScheduler.Default).PipeTo(Self);
                break;
        }
    }

    /// <summary>One back-off-supervised fetcher per app to install, all at once (the store fetches a shared blob once).</summary>
    private void StartFetchers(UpdateInProgress update)
    {
        _fetching.Clear();
        _fetchAttempts.Clear();
        _lastFetchError = null;
        try
        {
            foreach (var app in update.Install) Install.AppInstaller.ValidateAppName(app);
        }
        catch (ArgumentException e)
        {
            Self.Tell(new StepFailed(update.CorrelationId, UpdatePhase.Fetched, e));
            return;
        }
        foreach (var app in update.Install)
        {
            var fetcher = Context.ActorOf(AppFetcherActor.SupervisedProps(update.CorrelationId, app, update.Target.Apps[app], _steps.FetchAppAsync, Self,
                _settings.FetchAttempts, _settings.FetchMinBackoff), $"fetch-{app}-{++_fetchers}");
            Context.Watch(fetcher);
            _fetching[fetcher] = app;
        }
        if (_fetching.Count == 0) Self.Tell(new StepDone(update.CorrelationId, UpdatePhase.Fetched));
    }

    private void OnAppFetched(AppFetchSucceeded fetched)
    {
        if (_state.Update?.CorrelationId != fetched.CorrelationId) return;
        _log.Info("update {CorrelationId}: app {App} fetched", fetched.CorrelationId, fetched.App);
        foreach (var (fetcher, app) in _fetching.Where(f => f.Value == fetched.App).ToList())
        {
            Context.Unwatch(fetcher);
            _fetching.Remove(fetcher);
        }
        if (_fetching.Count == 0) Self.Tell(new StepDone(fetched.CorrelationId, UpdatePhase.Fetched));
    }

    private void OnFetchAttemptFailed(AppFetchAttemptFailed failed)
    {
        if (_state.Update?.CorrelationId != failed.CorrelationId) return;
        _lastFetchError = failed.Error;
        var attempts = _fetchAttempts[failed.App] = _fetchAttempts.GetValueOrDefault(failed.App) + 1;
        // The agent counts the attempts: when they are used up the app waits for the next cycle.
        if (failed.Retrying && attempts < _settings.FetchAttempts)
        {
            _log.Warning("update {CorrelationId}: fetching {App} failed, retrying after a back-off: {Reason}", failed.CorrelationId, failed.App, failed.Error.Message);
            return;
        }
        StopFetchers();
        Self.Tell(new StepFailed(failed.CorrelationId, UpdatePhase.Fetched, failed.Error is AppFetchException or ArgumentException
            ? failed.Error
            : new AppFetchException(_state.Update.Target.Apps[failed.App], failed.Error.Message, transient: failed.Retrying, failed.Error)));
    }

    /// <summary>A fetcher's supervisor stopped before its app was fetched: its attempts are used up (transient), retried next cycle.</summary>
    private void OnFetcherTerminated(Terminated terminated)
    {
        if (!_fetching.Remove(terminated.ActorRef, out var app) || _state.Update is not { } update) return;
        StopFetchers();
        var error = _lastFetchError ?? new AppFetchException(update.Target.Apps[app], "the fetcher stopped", transient: true);
        Self.Tell(new StepFailed(update.CorrelationId, UpdatePhase.Fetched, error is AppFetchException ? error
            : new AppFetchException(update.Target.Apps[app], error.Message, transient: true, error)));
    }

    private void StopFetchers()
    {
        foreach (var fetcher in _fetching.Keys)
        {
            Context.Unwatch(fetcher);
            Context.Stop(fetcher);
        }
        _fetching.Clear();
    }

    private void Run(string correlationId, UpdatePhase reached, Func<Task> step) =>
        step().ContinueWith(t => t.IsCompletedSuccessfully ? new StepDone(correlationId, reached) : (object)new StepFailed(correlationId, reached, Unwrap(t.Exception)),
            TaskScheduler.Default).PipeTo(Self);

    private void OnStepDone(StepDone done)
    {
        if (_state.Update?.CorrelationId != done.CorrelationId) return;
        object record = done.Phase switch
        {
            UpdatePhase.Fetched => new UpdateFetched(done.CorrelationId),
            UpdatePhase.Installed => new UpdateInstalled(done.CorrelationId),
            _ => new UpdateStarted(done.CorrelationId),
        };
        PersistRecord(record, () =>
        {
            CrashPoints.Reach(done.Phase switch
            {
                UpdatePhase.Fetched => CrashPoints.AfterFetchRecorded,
                UpdatePhase.Installed => CrashPoints.AfterInstallRecorded,
                _ => CrashPoints.AfterStartRecorded,
            });
            switch (done.Phase)
            {
                case UpdatePhase.Fetched:
                    Report(DeviceEventTypes.DownloadCompleted, true, null);
                    Report(DeviceEventTypes.InstallationStarted, null, null);
                    break;
                case UpdatePhase.Started:
                    Report(DeviceEventTypes.InstallationApplied, null, null);
                    break;
            }
            Continue(_state.Update!);
        });
    }

    private void OnStepFailed(StepFailed failed)
    {
        var update = _state.Update;
        if (update?.CorrelationId != failed.CorrelationId) return;
        if (failed.Phase == UpdatePhase.Fetched)
        {
            // Nothing on the device changed yet: a transient failure is retried next cycle, a permanent one marks the target bad.
            var transient = failed.Error is AppFetchException { Transient: true };
            var report = EventOf(DeviceEventTypes.DownloadCompleted, false, failed.Error.Message, update);
            PersistRecord(new UpdateAbandoned(update.CorrelationId, failed.Error.Message, MarkFailed: !transient, RollbackFailed: false, report), () =>
                Finish(transient ? CycleResult.Deferred : CycleResult.Refused,
                    transient ? $"download of {update.Target.Name} failed, will retry next cycle: {failed.Error.Message}"
                              : $"{update.Target.Name} refused and marked failed on this device: {failed.Error.Message}", report));
            return;
        }
        BeginRollback(update, $"{(failed.Phase == UpdatePhase.Installed ? "installing" : "starting")} {update.Target.Name} failed: {failed.Error.Message}");
    }

    private void OnHealthHeld(HealthHeld held)
    {
        var update = _state.Update;
        if (update?.CorrelationId != held.CorrelationId) return;
        if (held.Problem is not null)
        {
            BeginRollback(update, $"{update.Target.Name}: {held.Problem}");
            return;
        }
        _steps.ConfirmAsync(update, Ct).ContinueWith(t => new ConfirmDone(update.CorrelationId, t.IsCompletedSuccessfully ? t.Result : $"clean-up failed: {Unwrap(t.Exception).Message}"),
            TaskScheduler.Default).PipeTo(Self);
    }

    /// <summary>The kept versions are dropped and removed apps cleaned up: the target is the device's.</summary>
    private void OnConfirmDone(ConfirmDone done)
    {
        var update = _state.Update;
        if (update?.CorrelationId != done.CorrelationId) return;
        CrashPoints.Reach(CrashPoints.BeforeConfirmRecorded);
        var report = EventOf(DeviceEventTypes.InstallationCompleted, true, done.Notes.Length == 0 ? null : done.Notes, update);
        PersistRecord(new UpdateConfirmed(done.CorrelationId, _time.GetUtcNow(), report), () =>
        {
            if (done.Notes.Length > 0) _log.Warning("update {CorrelationId} confirmed; clean-up notes: {Notes}", done.CorrelationId, done.Notes);
            Finish(CycleResult.Updated, $"{update.Target.Name} (version {update.Target.Version}) is running: {string.Join(", ", update.Target.Apps.Keys)}", report);
        });
    }

    private void BeginRollback(UpdateInProgress update, string reason)
    {
        _log.Warning("update {CorrelationId} failed, rolling back: {Reason}", update.CorrelationId, reason);
        PersistRecord(new RollbackBegun(update.CorrelationId, reason), () => Continue(_state.Update!));
    }

    private void OnRolledBack(RolledBack rolledBack)
    {
        var update = _state.Update;
        if (update?.CorrelationId != rolledBack.CorrelationId) return;
        var reason = update.RollbackReason ?? "update failed";
        var failedAgain = rolledBack.Problem is not null;
        var details = failedAgain ? $"{reason}; rollback failed: {rolledBack.Problem}" : $"{reason}; rolled back to {update.Previous?.Name ?? "no apps"}";
        var report = EventOf(DeviceEventTypes.InstallationCompleted, false, details, update);
        PersistRecord(new UpdateAbandoned(update.CorrelationId, details, MarkFailed: true, RollbackFailed: failedAgain, report), () =>
            Finish(failedAgain ? CycleResult.RollbackFailed : CycleResult.RolledBack, details, report));
    }

    /// <param name="closing">The closing event, queued once its record is stored.</param>
    private void Finish(CycleResult result, string message, DeviceEvent? closing = null)
    {
        if (closing is not null) Queue(closing);
        _busy = false;
        _lastResult = $"{result}: {message}";
        if (result is CycleResult.RolledBack or CycleResult.RollbackFailed or CycleResult.Refused or CycleResult.Deferred)
            _log.Warning("cycle ended {Result}: {Message}", result, message);
        else
            _log.Info("cycle ended {Result}: {Message}", result, message);
        WriteStatus();
        // Waiters hear of the end once the cycle's app states are queued too, so a flush after it covers every report of the cycle.
        var waiting = _waiting.ToList();
        _waiting.Clear();
        var finished = new CycleFinished(result, message);
        _steps.ReadStatesAsync(_state.Current, Ct).PipeTo(Self,
            success: report => new StatesRead(report, waiting, finished), failure: _ => new StatesRead(null, waiting, finished));
        if (_poll) Timers.StartSingleTimer(PollTimer, new Poll(), _settings.PollInterval + Jitter());
    }

    private TimeSpan Jitter() => _settings.PollJitter * Random.Shared.NextDouble();

    /// <summary>App states are reported only when they differ from the last report.</summary>
    private void OnStatesRead(StatesRead read)
    {
        if (read.Report is { } report)
        {
            var apps = JsonSerializer.Serialize(new { report.TargetName, report.Apps }, DeviceApiJson.Options);
            if (apps != _lastAppsStates)
            {
                _lastAppsStates = apps;
                _outbox.Tell(new QueueReport(ReportEndpoints.AppsStates, JsonSerializer.Serialize(report, DeviceApiJson.Options)));
            }
        }
        foreach (var waiter in read.Waiting) waiter.Tell(read.Finished);
    }

    // ---------------------------------------------------------------- records, reports, status

    private void PersistRecord(object record, Action? then = null) => Persist(record, e =>
    {
        _state = _state.Apply(e);
        if (LastSequenceNr % SnapshotEvery == 0) SaveSnapshot(_state.ToSnapshot());
        WriteStatus();
        then?.Invoke();
    });

    /// <summary>Queues one REFERENCE event of the update in progress.</summary>
    private void Report(string type, bool? success, string? details) => Queue(EventOf(type, success, details, _state.Update!));

    private void Queue(DeviceEvent e) => _outbox.Tell(new QueueReport(ReportEndpoints.Events, JsonSerializer.Serialize(e, DeviceApiJson.Options), e.Id));

    /// <summary>
    /// An event of <paramref name="update"/>. Its id is derived from the correlation id, the type and the outcome, so the
    /// same event queued again after a crash has the same id (the outbox and the gateway drop it).
    /// </summary>
    private DeviceEvent EventOf(string type, bool? success, string? details, UpdateInProgress update)
    {
        if (details is { Length: > DeviceEventTypes.MaxDetailsLength }) details = details[..(DeviceEventTypes.MaxDetailsLength - 3)] + "...";
        var id = new Guid(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{update.CorrelationId}|{type}|{success}"))[..16]);
        return new DeviceEvent(id.ToString(), _time.GetUtcNow(), new DeviceEventType(type),
            new DeviceEventBody(update.CorrelationId, update.Target.Name, update.Target.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), success, details));
    }

    /// <summary>After a restart: the events the recorded phase implies, in case they were queued but never stored.</summary>
    private void RequeueEventsOf(UpdateInProgress update)
    {
        Report(DeviceEventTypes.DownloadStarted, null, null);
        if (update.Phase == UpdatePhase.Begun) return;
        Report(DeviceEventTypes.DownloadCompleted, true, null);
        Report(DeviceEventTypes.InstallationStarted, null, null);
        if (update.Phase == UpdatePhase.Started) Report(DeviceEventTypes.InstallationApplied, null, null);
    }

    private void WriteStatus()
    {
        try
        {
            AgentStatus.Write(_settings, new AgentStatus(_settings.DeviceName, _state.Current, _state.Update is { } u ? $"{u.Target.Name}: {u.Phase}" : null,
                _state.FailedTargets.Order(StringComparer.Ordinal).ToArray(), _pendingReports, _state.LastCheckIn, _lastResult));
        }
        catch (IOException e)
        {
            _log.Warning("could not write the status file: {Reason}", e.Message);
        }
    }

    private static Exception Unwrap(AggregateException? e) => e?.InnerExceptions.Count == 1 ? e.InnerException! : e ?? new Exception("unknown failure");
}
