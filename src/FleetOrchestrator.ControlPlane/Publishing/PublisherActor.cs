using Akka.Actor;
using Akka.Event;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Publishing;

namespace FleetOrchestrator.ControlPlane.Publishing;

/// <summary>The factory's registry settings every publish uses.</summary>
public sealed record PublisherSettings(string Factory, string Registry, bool PlainHttp, IReadOnlyDictionary<string, string> Mirrors, TimeSpan RecordTimeout);

/// <summary>
/// Runs one publish at a time (the Docker engine and the registry are shared): the pipeline's I/O runs
/// off the actor and its result is piped back, then the target goes to the target registry and the
/// requester gets <see cref="TargetPublished"/> or <see cref="PublishFailed"/>. Requests arriving meanwhile wait in the stash.
/// </summary>
public sealed class PublisherActor : ReceiveActor, IWithStash
{
    private sealed record PipelineDone(PublishTarget Request, IActorRef ReplyTo, PublishResult Result);
    private sealed record RecordDone(PublishTarget Request, IActorRef ReplyTo, PublishResult Result, object Answer);
    private sealed record Failed(PublishTarget Request, IActorRef ReplyTo, string Reason);

    private readonly PublisherSettings _settings;
    private readonly IActorRef _targetRegistry;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();

    public PublisherActor(PublisherSettings settings, IActorRef targetRegistry)
    {
        _settings = settings;
        _targetRegistry = targetRegistry;
        Idle();
    }

    public IStash Stash { get; set; } = null!;

    public static Props PropsFor(PublisherSettings settings, IActorRef targetRegistry) =>
        Props.Create(() => new PublisherActor(settings, targetRegistry));

    private void Idle()
    {
        Receive<PublishTarget>(request =>
        {
            var replyTo = Sender;
            var pipelineRequest = new PublishRequest(request.Repository, _settings.Registry, _settings.Factory, request.Ref, request.Tag,
                request.HardwareIds, request.Version, _settings.PlainHttp, _settings.Mirrors);
            _log.Info("publishing {0} at {1} for tag {2}", request.Repository, request.Ref, request.Tag);
            new PublishPipeline().RunAsync(pipelineRequest, _stopping.Token).PipeTo(Self,
                success: result => new PipelineDone(request, replyTo, result),
                failure: e => new Failed(request, replyTo, Describe(e)));
            Become(Busy);
        });
    }

    private void Busy()
    {
        Receive<PipelineDone>(done => _targetRegistry.Ask(RecordTarget.From(done.Result.Target), _settings.RecordTimeout).PipeTo(Self,
            success: answer => new RecordDone(done.Request, done.ReplyTo, done.Result, answer),
            failure: e => new Failed(done.Request, done.ReplyTo, $"the target registry did not record {done.Result.Target.Name}: {e.Message}")));
        Receive<RecordDone>(done =>
        {
            var target = done.Result.Target;
            switch (done.Answer)
            {
                case TargetRecorded recorded:
                    _log.Info("published {0}: {1} apps", target.Name, done.Result.Apps.Count);
                    done.ReplyTo.Tell(new TargetPublished(target.Name, done.Request.Tag, recorded.TargetsVersionByTag[done.Request.Tag],
                        done.Result.Apps.ToDictionary(a => a.Name, a => a.Uri), done.Result.Revision.CommitSha));
                    break;
                case TargetRejected rejected:
                    done.ReplyTo.Tell(new PublishFailed(done.Request.Repository, done.Request.Ref, $"target {target.Name} rejected: {rejected.Reason}"));
                    break;
                default:
                    done.ReplyTo.Tell(new PublishFailed(done.Request.Repository, done.Request.Ref, $"unexpected answer from the target registry: {done.Answer.GetType().Name}"));
                    break;
            }
            BecomeIdle();
        });
        Receive<Failed>(failed =>
        {
            _log.Warning("publish of {0} at {1} failed: {2}", failed.Request.Repository, failed.Request.Ref, failed.Reason);
            failed.ReplyTo.Tell(new PublishFailed(failed.Request.Repository, failed.Request.Ref, failed.Reason));
            BecomeIdle();
        });
        Receive<PublishTarget>(_ => Stash.Stash());
    }

    private void BecomeIdle()
    {
        Become(Idle);
        Stash.UnstashAll();
    }

    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private static string Describe(Exception e) => (e is AggregateException { InnerException: { } inner } ? inner : e).Message;
}
