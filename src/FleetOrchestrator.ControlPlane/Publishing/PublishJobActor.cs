using Akka.Actor;
using Akka.Event;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Oci;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Publishing;

namespace FleetOrchestrator.ControlPlane.Publishing;

/// <summary>
/// One publish, stage by stage (REFERENCE order): prepare → build every container → resolve images → bundle
/// every app → push every app → record the target. Each step runs in a <see cref="PublishStepWorker"/> under a
/// backoff supervisor (one per container and per app), so the actor never blocks and registry or engine
/// outages are retried; the first permanent failure ends the publish with nothing recorded. Answers the
/// requester with <see cref="TargetPublished"/> or <see cref="PublishFailed"/> (after its progress, when it asked for
/// that), then stops (its scratch folder goes with it).
/// </summary>
internal sealed class PublishJobActor : ReceiveActor
{
    private sealed record RecordAnswer(PublishedTarget Target, IReadOnlyList<PublishedApp> Apps, string CommitSha, object Answer);
    private sealed record RecordFailed(string Reason);

    private readonly PublishTarget _request;
    private readonly IActorRef _replyTo;
    private readonly PublisherSettings _settings;
    private readonly IActorRef _targetRegistry;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _scratch = Directory.CreateTempSubdirectory("fleet-publish-").FullName;
    private readonly PublishRequest _pipelineRequest;
    private readonly PublishPipeline _pipeline;
    private readonly OciRegistryClient _client;

    // The stage running now: its steps in order, the supervisor of each, and the results so far.
    private IReadOnlyList<string> _steps = [];
    private readonly Dictionary<IActorRef, string> _supervisors = [];
    private readonly Dictionary<string, object> _results = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _lastRetry = new(StringComparer.Ordinal);
    private Action<IReadOnlyList<object>> _next = _ => { };
    private bool _finished;

    public PublishJobActor(PublishTarget request, IActorRef replyTo, PublisherSettings settings, IActorRef targetRegistry)
    {
        _request = request;
        _replyTo = replyTo;
        _settings = settings;
        _targetRegistry = targetRegistry;
        _pipelineRequest = new PublishRequest(request.Repository, settings.Registry, settings.Factory, request.Ref, request.Tag,
            request.HardwareIds, request.Version, settings.PlainHttp, settings.Mirrors);
        var progress = new ProgressToRequester(request, request.ReportProgress ? replyTo : null, _log);
        _pipeline = new PublishPipeline(progress);
        _client = PublishPipeline.RegistryClient(_pipelineRequest);

        Receive<StepSucceeded>(OnSucceeded);
        Receive<StepRetrying>(retry =>
        {
            _lastRetry[retry.Step] = retry.Reason;
            progress.Report(new PublishProgress("retry", retry.Step, retry.Reason));
        });
        Receive<StepFailed>(failed => Fail($"{failed.Step}: {failed.Reason}"));
        Receive<Terminated>(OnTerminated);
        Receive<RecordAnswer>(OnRecorded);
        Receive<RecordFailed>(failed => Fail(failed.Reason));
    }

    public static Props PropsFor(PublishTarget request, IActorRef replyTo, PublisherSettings settings, IActorRef targetRegistry) =>
        Props.Create(() => new PublishJobActor(request, replyTo, settings, targetRegistry));

    protected override void PreStart()
    {
        _log.Info("publish {0}: {1} at {2} for tag {3}", _request.JobId, _request.Repository, _request.Ref, _request.Tag);
        RunStage([("prepare", Step(ct => _pipeline.PrepareAsync(_pipelineRequest, _scratch, ct)))], results => Build((PreparedPublish)results[0]));
    }

    private void Build(PreparedPublish prepared) =>
        RunStage(prepared.Containers.Select(c => ($"build/{c.Name}", Step(ct => _pipeline.BuildContainerAsync(prepared, c, ct)))).ToList(),
            _ => RunStage([("resolve", Step(ct => _pipeline.ResolveImagesAsync(prepared, _client, ct)))],
                results => Bundle(prepared, (IReadOnlyDictionary<ImageReference, Digest>)results[0])));

    // Every app is bundled (and so checked) before the first one is pushed.
    private void Bundle(PreparedPublish prepared, IReadOnlyDictionary<ImageReference, Digest> digests) =>
        RunStage(prepared.Apps.Select(a => ($"bundle/{a.Folder.Name}", Step(ct => _pipeline.BundleAppAsync(prepared, a, digests, _client, ct)))).ToList(),
            bundles => RunStage(bundles.Cast<AppBundle>().Select(b => ($"push/{b.App.Name}", Step(ct => _pipeline.PushAppAsync(prepared, b, _client, ct)))).ToList(),
                pushed => Record(prepared, pushed.Cast<PublishedApp>().ToList())));

    private void Record(PreparedPublish prepared, IReadOnlyList<PublishedApp> apps)
    {
        var target = _pipeline.CreateTarget(prepared, apps);
        _targetRegistry.Ask(RecordTarget.From(target), _settings.RecordTimeout).PipeTo(Self,
            success: answer => new RecordAnswer(target, apps, prepared.Revision.CommitSha, answer),
            failure: e => new RecordFailed($"the target registry did not record {target.Name}: {e.Message}"));
    }

    private void OnRecorded(RecordAnswer recorded)
    {
        var target = recorded.Target;
        switch (recorded.Answer)
        {
            case TargetRecorded ok:
                _log.Info("publish {0}: published {1}: {2} apps", _request.JobId, target.Name, recorded.Apps.Count);
                Finish(new TargetPublished(target.Name, _request.Tag, ok.TargetsVersionByTag[_request.Tag],
                    recorded.Apps.ToDictionary(a => a.Name, a => a.Uri), recorded.CommitSha));
                break;
            case Refused rejected:
                Fail($"target {target.Name} rejected: {rejected.Reason}");
                break;
            default:
                Fail($"unexpected answer from the target registry: {recorded.Answer.GetType().Name}");
                break;
        }
    }

    private static Func<CancellationToken, Task<object>> Step<T>(Func<CancellationToken, Task<T>> run) where T : notnull =>
        async ct => await run(ct);

    /// <summary>Starts one supervised worker per step; <paramref name="next"/> gets the results in step order once all succeeded.</summary>
    private void RunStage(IReadOnlyList<(string Step, Func<CancellationToken, Task<object>> Run)> steps, Action<IReadOnlyList<object>> next)
    {
        _steps = steps.Select(s => s.Step).ToList();
        _results.Clear();
        _next = next;
        if (steps.Count == 0)
        {
            next([]);
            return;
        }
        var self = Self;
        foreach (var (step, run) in steps)
        {
            var supervisor = Context.ActorOf(PublishStepWorker.Supervised(step, run, self, _settings));
            Context.Watch(supervisor);
            _supervisors[supervisor] = step;
        }
    }

    private void OnSucceeded(StepSucceeded done)
    {
        if (_finished || !_steps.Contains(done.Step)) return;
        _results[done.Step] = done.Result;
        if (_results.Count == _steps.Count) _next(_steps.Select(s => _results[s]).ToList());
    }

    /// <summary>A supervisor stops when its worker finished, failed for good, or used up its retries.</summary>
    private void OnTerminated(Terminated terminated)
    {
        if (!_supervisors.Remove(terminated.ActorRef, out var step) || _finished || _results.ContainsKey(step) || !_steps.Contains(step)) return;
        Fail(_lastRetry.TryGetValue(step, out var reason)
            ? $"{step}: gave up after {_settings.MaxRetries} retries: {reason}"
            : $"{step}: the worker stopped without a result");
    }

    private void Fail(string reason)
    {
        if (_finished) return;
        _log.Warning("publish {0} of {1} at {2} failed: {3}", _request.JobId, _request.Repository, _request.Ref, reason);
        Finish(new PublishFailed(_request.Repository, _request.Ref, reason));
    }

    private void Finish(object answer)
    {
        _finished = true;
        _replyTo.Tell(answer);
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
        _client.Dispose();
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
    }

    /// <summary>Pipeline progress in the log, and as <see cref="PublishProgressed"/> to <paramref name="requester"/> when it asked for it.</summary>
    private sealed class ProgressToRequester(PublishTarget request, IActorRef? requester, ILoggingAdapter log) : IProgress<PublishProgress>
    {
        public void Report(PublishProgress value)
        {
            log.Info("publish {0} of {1}: [{2}] {3}: {4}", request.JobId, request.Repository, value.Stage, value.Subject, value.Message);
            requester?.Tell(new PublishProgressed(request.JobId, value.Stage, value.Subject, value.Message));
        }
    }
}
