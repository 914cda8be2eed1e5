using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using FleetOrchestrator.Publishing;
using FleetOrchestrator.Infrastructure.Persistence;

namespace FleetOrchestrator.ControlPlane.Publishing;

/// <summary>
/// Polls one branch and asks the publisher to publish each new head commit, exactly once: the commit is
/// remembered (persisted) whether its publish succeeded or failed, so a restart does not publish it again and a
/// broken commit is not retried forever — the next commit is. A cluster singleton on the publisher role.
/// </summary>
public sealed class BranchWatcherActor : SnapshottingPersistentActor, IWithTimers
{
    private sealed record Tick
    {
        public static Tick Instance { get; } = new();
    }

    private sealed record HeadRead(string Sha);
    private sealed record HeadUnreadable(string Reason);
    private sealed record PublishAnswer(string Sha, object Answer);

    private readonly BranchWatchSettings _settings;
    private readonly IActorRef _publisher;
    private readonly TimeSpan _publishTimeout;
    private BranchWatchState _state = BranchWatchState.Empty;
    private string? _publishing;
    private bool _reading;
    private long _checks;

    public BranchWatcherActor(BranchWatchSettings settings, IActorRef publisher, TimeSpan publishTimeout)
    {
        _settings = settings;
        _publisher = publisher;
        _publishTimeout = publishTimeout;
        PersistenceId = "branch-watch-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(settings.Key)))[..16];

        Recover<SnapshotOffer>(offer => _state = (BranchWatchState)offer.Snapshot);
        Recover<WatchedCommitHandled>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            Log.Info("watching {0} branch {1} every {2} (last handled commit: {3})", settings.Repository, settings.Branch, settings.Interval, _state.LastHandledCommit ?? "none");
            Timers.StartPeriodicTimer("poll", Tick.Instance, TimeSpan.Zero, settings.Interval);
        });

        Command<Tick>(_ => ReadHead());
        Command<HeadRead>(head =>
        {
            _reading = false;
            _checks++;
            if (!_state.ShouldPublish(head.Sha, _publishing)) return;
            _publishing = head.Sha;
            Log.Info("new commit {0} on {1}: publishing it for tag {2}", head.Sha, settings.Branch, settings.Tag);
            // The answer only: the job logs its progress, and no operator's session sees it.
            _publisher.Ask(new PublishTarget(PublishTarget.NewJobId(), settings.Repository, head.Sha, settings.Tag, settings.HardwareIds, null), _publishTimeout)
                .PipeTo(Self, success: answer => new PublishAnswer(head.Sha, answer), failure: e => new PublishAnswer(head.Sha, new PublishFailed(settings.Repository, head.Sha, e.Message)));
        });
        Command<HeadUnreadable>(unreadable =>
        {
            _reading = false;
            _checks++;
            Log.Warning("cannot read branch {0} of {1}: {2}", settings.Branch, settings.Repository, unreadable.Reason);
        });
        Command<PublishAnswer>(answer =>
        {
            var handled = answer.Answer switch
            {
                TargetPublished published => new WatchedCommitHandled(settings.Repository, settings.Branch, answer.Sha, published.Name, null, DateTimeOffset.UtcNow),
                PublishFailed failed => new WatchedCommitHandled(settings.Repository, settings.Branch, answer.Sha, null, failed.Reason, DateTimeOffset.UtcNow),
                var other => new WatchedCommitHandled(settings.Repository, settings.Branch, answer.Sha, null, $"unexpected answer {other.GetType().Name}", DateTimeOffset.UtcNow),
            };
            Persist(handled, e =>
            {
                _state = _state.Apply(e);
                _publishing = null;
                if (e.Failure is null) Log.Info("commit {0} published as {1}", e.CommitSha, e.Target);
                else Log.Warning("commit {0} was not published: {1}", e.CommitSha, e.Failure);
                if (_state.Handled % 50 == 0) SaveSnapshot(_state);
            });
        });
        Command<GetBranchWatchStatus>(_ => Sender.Tell(new BranchWatchStatus(settings.Repository, settings.Branch, _state.LastHandledCommit,
            _state.LastTarget, _state.LastFailure, _state.Handled, _checks, _publishing)));
        KeepOnlyLatestSnapshot("branch watcher");
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor(BranchWatchSettings settings, IActorRef publisher, TimeSpan publishTimeout) =>
        Props.Create(() => new BranchWatcherActor(settings, publisher, publishTimeout));

    private void ReadHead()
    {
        // One read at a time, and none while a publish runs: the head is read again on the next tick after it.
        if (_reading || _publishing is not null) return;
        _reading = true;
        GitSource.HeadOfAsync(_settings.Repository, _settings.Branch, CancellationToken.None).PipeTo(Self,
            success: sha => new HeadRead(sha), failure: e => new HeadUnreadable(PublishStepWorker.Describe(e)));
    }
}
