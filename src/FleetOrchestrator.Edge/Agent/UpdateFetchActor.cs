using Akka.Actor;
using Akka.Event;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Fetch;
using FleetOrchestrator.Edge.Install;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// The fetch step of one update, a child of the <see cref="DeviceAgentActor"/>: one back-off-supervised
/// <see cref="AppFetcherActor"/> per app to install, all at once (the store fetches a shared blob once). Tells the agent
/// <see cref="StepDone"/> once every app is in the store, or <see cref="StepFailed"/> with the failure that ends the step
/// (see <see cref="AppFetchTracker"/>), then stops with its fetchers.
/// </summary>
public sealed class UpdateFetchActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly UpdateInProgress _update;
    private readonly Func<string, CancellationToken, Task> _fetch;
    private readonly EdgeSettings _settings;
    private readonly AppFetchTracker _tracker;
    private readonly Dictionary<IActorRef, string> _fetchers = [];

    public UpdateFetchActor(UpdateInProgress update, Func<string, CancellationToken, Task> fetch, EdgeSettings settings)
    {
        _update = update;
        _fetch = fetch;
        _settings = settings;
        _tracker = new AppFetchTracker(update, settings.FetchAttempts);

        Receive<AppFetchSucceeded>(fetched =>
        {
            _log.Info("update {CorrelationId}: app {App} fetched", fetched.CorrelationId, fetched.App);
            _tracker.Fetched(fetched.App);
            if (_tracker.AllFetched) End(new StepDone(update.CorrelationId, UpdatePhase.Fetched));
        });
        Receive<AppFetchAttemptFailed>(failed =>
        {
            if (_tracker.AttemptFailed(failed.App, failed.Error, failed.Retrying) is { } error) End(new StepFailed(update.CorrelationId, UpdatePhase.Fetched, error));
            else _log.Warning("update {CorrelationId}: fetching {App} failed, retrying after a back-off: {Reason}", failed.CorrelationId, failed.App, failed.Error.Message);
        });
        // A fetcher's supervisor stops once its app is fetched, or when the app's attempts are used up.
        Receive<Terminated>(terminated =>
        {
            if (_fetchers.TryGetValue(terminated.ActorRef, out var app) && _tracker.Stopped(app) is { } error)
                End(new StepFailed(update.CorrelationId, UpdatePhase.Fetched, error));
        });
    }

    public static Props PropsFor(UpdateInProgress update, Func<string, CancellationToken, Task> fetch, EdgeSettings settings) =>
        Props.Create(() => new UpdateFetchActor(update, fetch, settings));

    protected override void PreStart()
    {
        try
        {
            foreach (var app in _update.Install) AppInstaller.ValidateAppName(app);
        }
        catch (ArgumentException e)
        {
            End(new StepFailed(_update.CorrelationId, UpdatePhase.Fetched, e));
            return;
        }
        foreach (var app in _update.Install)
        {
            var fetcher = Context.ActorOf(AppFetcherActor.SupervisedProps(_update.CorrelationId, app, _update.Target.Apps[app], _fetch, Self,
                _settings.FetchAttempts, _settings.FetchMinBackoff), $"fetch-{app}");
            _fetchers[Context.Watch(fetcher)] = app;
        }
        if (_tracker.AllFetched) End(new StepDone(_update.CorrelationId, UpdatePhase.Fetched));
    }

    private void End(object result)
    {
        Context.Parent.Tell(result);
        Context.Stop(Self);
    }
}
