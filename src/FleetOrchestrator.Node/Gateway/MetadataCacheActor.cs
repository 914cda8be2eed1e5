using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using FleetOrchestrator.ControlPlane.Targets;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>
/// Feeds the gateway's <see cref="MetadataCache"/>: subscribes to the metadata topic, then asks the target
/// registry once for the current state (pub/sub only carries later changes), retrying until it answers.
/// </summary>
public sealed class MetadataCacheActor : ReceiveActor, IWithTimers
{
    private sealed record LoadCurrent
    {
        public static LoadCurrent Instance { get; } = new();
    }

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public MetadataCacheActor(MetadataCache cache, IActorRef targetRegistry)
    {
        Receive<SubscribeAck>(_ => Self.Tell(LoadCurrent.Instance));
        Receive<LoadCurrent>(_ => targetRegistry.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, AskTimeout).PipeTo(Self));
        Receive<RepositoryMetadata>(metadata =>
        {
            // The Ask's answer can arrive after a newer publication; the cache keeps the newer one.
            if (cache.Update(metadata))
                _log.Info("gateway metadata revision {0}: {1} root version(s), {2} view(s)", metadata.Revision, metadata.Roots.Count, metadata.Views.Count);
            else
                _log.Debug("gateway metadata revision {0} is older than the one served; ignored", metadata.Revision);
        });
        Receive<Status.Failure>(failure =>
        {
            if (cache.IsLoaded) return;
            _log.Warning("target registry did not answer ({0}); asking again", failure.Cause.Message);
            Timers.StartSingleTimer("retry", LoadCurrent.Instance, TimeSpan.FromSeconds(1));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(TargetsTopics.Metadata, Self));
}
