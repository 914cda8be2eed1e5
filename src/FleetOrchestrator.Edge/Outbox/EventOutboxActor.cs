using System.Net;
using System.Text;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using FleetOrchestrator.Edge.Gateway;
using FleetOrchestrator.Infrastructure.Persistence;

namespace FleetOrchestrator.Edge.Outbox;

/// <summary>
/// The persistent queue of reports for the gateway (events to <c>/events</c>, app states to <c>/apps-states</c>):
/// kept in the journal until the gateway answers 2xx, sent in order, one request at a time, so a device offline
/// for days reports everything once back. Any other answer (including 404 while a gateway lacks the endpoint)
/// keeps the batch and retries after the retry interval; only 400, 413 and 422 — the gateway refusing that
/// content for good — drop it, with an error in the log, so it cannot block the queue forever.
/// </summary>
public sealed class EventOutboxActor : SnapshottingPersistentActor, IWithTimers
{
    private const int SnapshotEvery = 100;
    private const string RetryTimer = "retry";

    private readonly HttpClient _gateway;
    private readonly int _batchSize;
    private readonly TimeSpan _retryInterval;
    private OutboxState _state = OutboxState.Empty;
    private bool _sending;
    private readonly List<IActorRef> _flushWaiters = [];

    private sealed record Sent(ReportBatch Batch, HttpStatusCode? Status, string Problem);

    private sealed record Retry;

    public EventOutboxActor(HttpClient gateway, int batchSize, TimeSpan retryInterval, string? journalKey)
    {
        PersistenceId = journalKey is null ? "event-outbox" : $"event-outbox-{journalKey}";
        _gateway = gateway;
        _batchSize = batchSize;
        _retryInterval = retryInterval;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is OutboxSnapshot snapshot) _state = new OutboxState(snapshot.Pending, snapshot.NextSeq, snapshot.RecentIds ?? []);
        });
        Recover<ReportQueued>(e => _state = _state.Apply(e));
        Recover<ReportsDelivered>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            Context.Parent.Tell(new OutboxPending(_state.Pending.Count));
            SendNext();
        });

        Command<QueueReport>(report =>
        {
            if (report.Id is { } id && _state.Knows(id)) return;
            Persist(new ReportQueued(_state.NextSeq, report.Endpoint, report.Json, report.Id), e =>
            {
                _state = _state.Apply(e);
                Context.Parent.Tell(new OutboxPending(_state.Pending.Count));
                SendNext();
            });
        });
        Command<FlushOutbox>(_ =>
        {
            if (_state.Pending.Count == 0)
            {
                Sender.Tell(new OutboxFlushed(0));
                return;
            }
            _flushWaiters.Add(Sender);
            SendNext();
        });
        Command<Retry>(_ => SendNext());
        Command<Sent>(OnSent);
        DeleteEventsCoveredBySnapshots("outbox");
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="journalKey">As the agent's: null for the device's own outbox, the device name in a shared journal.</param>
    public static Props PropsFor(HttpClient gateway, int batchSize, TimeSpan retryInterval, string? journalKey = null) =>
        Props.Create(() => new EventOutboxActor(gateway, batchSize, retryInterval, journalKey));

    private void SendNext()
    {
        if (_sending) return;
        var batch = _state.NextBatch(_batchSize);
        if (batch is null)
        {
            AnswerFlushWaiters();
            return;
        }
        _sending = true;
        Timers.Cancel(RetryTimer);
        PostAsync(batch).PipeTo(Self);
    }

    private async Task<Sent> PostAsync(ReportBatch batch)
    {
        try
        {
            using var content = new StringContent(batch.Body, Encoding.UTF8, "application/json");
            using var response = batch.Endpoint == ReportEndpoints.SystemInfo
                ? await _gateway.PutAsync(batch.Endpoint, content)
                : await _gateway.PostAsync(batch.Endpoint, content);
            return new Sent(batch, response.StatusCode, response.IsSuccessStatusCode ? "" : await GatewayHttp.DescribeFailureAsync(response, default));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return new Sent(batch, null, e.Message);
        }
    }

    private void OnSent(Sent sent)
    {
        _sending = false;
        var status = (int?)sent.Status;
        var done = status is >= 200 and < 300;
        var refusedForGood = status is 400 or 413 or 422;
        if (refusedForGood)
            Log.Error("the gateway refused {Count} report(s) for /{Endpoint} for good, dropping them: {Problem}", sent.Batch.Count, sent.Batch.Endpoint, sent.Problem);
        if (!done && !refusedForGood)
        {
            Log.Info("{Count} report(s) for /{Endpoint} not delivered, retrying in {Interval}: {Problem}", sent.Batch.Count, sent.Batch.Endpoint, _retryInterval, sent.Problem);
            AnswerFlushWaiters();
            Timers.StartSingleTimer(RetryTimer, new Retry(), _retryInterval);
            return;
        }
        Persist(new ReportsDelivered(sent.Batch.ThroughSeq), e =>
        {
            _state = _state.Apply(e);
            Context.Parent.Tell(new OutboxPending(_state.Pending.Count));
            if (LastSequenceNr % SnapshotEvery == 0) SaveSnapshot(new OutboxSnapshot(_state.Pending, _state.NextSeq, _state.RecentIds));
            SendNext();
        });
    }

    private void AnswerFlushWaiters()
    {
        foreach (var waiter in _flushWaiters) waiter.Tell(new OutboxFlushed(_state.Pending.Count));
        _flushWaiters.Clear();
    }
}
