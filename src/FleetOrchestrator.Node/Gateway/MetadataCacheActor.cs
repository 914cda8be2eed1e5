using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Protocol.Decisions;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>
/// Feeds the gateway's <see cref="MetadataCache"/>: subscribes to the metadata topic, then asks the target
/// registry once for the current state (pub/sub only carries later changes), retrying until it answers. On
/// <see cref="SignUnpublished"/> it has the registry sign the chain served for tags with nothing published, once.
/// </summary>
public sealed class MetadataCacheActor : ReceiveActor, IWithTimers
{
    private sealed record LoadCurrent
    {
        public static LoadCurrent Instance { get; } = new();
    }

    /// <summary>
    /// Asked by a request for a tag with nothing published while the cache holds no empty chain: answered with
    /// <see cref="UnpublishedAnswer"/> once the chain is in the cache, or why it is not.
    /// </summary>
    public sealed record SignUnpublished
    {
        public static SignUnpublished Instance { get; } = new();
    }

    /// <summary>The chain is in the cache (<see cref="Problem"/> null), or why not: the registry refused (<see cref="Refused"/>) or did not answer.</summary>
    public sealed record UnpublishedAnswer(string? Problem, bool Refused);

    private sealed record RegistryAnswered(object Answer);

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    /// <summary>How long a refusal (the targets key is offline) is answered without asking the registry again.</summary>
    private static readonly TimeSpan RefusalKept = TimeSpan.FromMinutes(1);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MetadataCache _cache;
    /// <summary>Requests waiting for the one ask in flight; at most the gateway's concurrent requests.</summary>
    private readonly List<IActorRef> _waiting = [];
    private (string Reason, DateTimeOffset Until)? _refused;

    public MetadataCacheActor(MetadataCache cache, IActorRef targetRegistry)
    {
        _cache = cache;
        Receive<SubscribeAck>(_ => Self.Tell(LoadCurrent.Instance));
        Receive<LoadCurrent>(_ => targetRegistry.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, AskTimeout).PipeTo(Self));
        Receive<RepositoryMetadata>(Take);
        Receive<Status.Failure>(failure =>
        {
            if (cache.IsLoaded) return;
            _log.Warning("target registry did not answer ({0}); asking again", failure.Cause.Message);
            Timers.StartSingleTimer("retry", LoadCurrent.Instance, TimeSpan.FromSeconds(1));
        });
        Receive<SignUnpublished>(_ =>
        {
            if (cache.HasUnpublished) Sender.Tell(new UnpublishedAnswer(null, false));
            else if (_refused is { } refused && refused.Until > Context.System.Scheduler.Now) Sender.Tell(new UnpublishedAnswer(refused.Reason, true));
            else
            {
                _waiting.Add(Sender);
                if (_waiting.Count > 1) return;
                targetRegistry.Ask<object>(SignUnpublishedView.Instance, AskTimeout)
                    .PipeTo(Self, success: answer => new RegistryAnswered(answer), failure: e => new RegistryAnswered(new Status.Failure(e)));
            }
        });
        Receive<RegistryAnswered>(answered =>
        {
            var answer = answered.Answer switch
            {
                RepositoryMetadata metadata => Took(metadata),
                Refused refused => Remember(refused.Reason),
                Status.Failure failure => new UnpublishedAnswer($"the target registry did not answer: {failure.Cause.Message}", false),
                var other => new UnpublishedAnswer($"the target registry answered {other.GetType().Name}", false),
            };
            foreach (var waiting in _waiting) waiting.Tell(answer);
            _waiting.Clear();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(TargetsTopics.Metadata, Self));

    private void Take(RepositoryMetadata metadata)
    {
        // The Ask's answer can arrive after a newer publication; the cache keeps the newer one.
        if (_cache.Update(metadata))
            _log.Info("gateway metadata revision {0}: {1} root version(s), {2} view(s)", metadata.Revision, metadata.Roots.Count, metadata.Views.Count);
        else
            _log.Debug("gateway metadata revision {0} is older than the one served; ignored", metadata.Revision);
    }

    private UnpublishedAnswer Took(RepositoryMetadata metadata)
    {
        Take(metadata);
        return new UnpublishedAnswer(_cache.HasUnpublished ? null : "the target registry answered without the empty repository", false);
    }

    private UnpublishedAnswer Remember(string reason)
    {
        _log.Warning("devices of tags with nothing published get 404: {0}", reason);
        _refused = (reason, Context.System.Scheduler.Now + RefusalKept);
        return new UnpublishedAnswer(reason, true);
    }
}
