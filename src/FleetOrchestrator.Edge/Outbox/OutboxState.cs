namespace FleetOrchestrator.Edge.Outbox;

/// <summary>One request's worth of reports: events go as one JSON array, an app-states report alone.</summary>
public sealed record ReportBatch(string Endpoint, string Body, long ThroughSeq, int Count);

/// <summary>The outbox's pending reports, in order, and the ids of the last delivered ones (pure).</summary>
public sealed record OutboxState(IReadOnlyList<ReportQueued> Pending, long NextSeq, IReadOnlyList<string> RecentIds)
{
    /// <summary>Delivered ids remembered, so a report queued again after a crash is not sent twice.</summary>
    public const int RecentIdsKept = 256;

    public static OutboxState Empty { get; } = new([], 1, []);

    public OutboxState Apply(object e) => e switch
    {
        ReportQueued q => this with { Pending = [.. Pending, q], NextSeq = Math.Max(NextSeq, q.Seq + 1) },
        ReportsDelivered d => this with
        {
            Pending = Pending.Where(r => r.Seq > d.ThroughSeq).ToArray(),
            RecentIds = RecentIds.Concat(Pending.Where(r => r.Seq <= d.ThroughSeq && r.Id is not null).Select(r => r.Id!)).TakeLast(RecentIdsKept).ToArray(),
        },
        _ => this,
    };

    /// <summary>Whether a report with this id is pending or was delivered recently.</summary>
    public bool Knows(string id) => RecentIds.Contains(id, StringComparer.Ordinal) || Pending.Any(r => r.Id == id);

    /// <summary>The oldest reports to send next: up to <paramref name="maxEvents"/> consecutive events, or the oldest app-states report.</summary>
    public ReportBatch? NextBatch(int maxEvents)
    {
        if (Pending.Count == 0) return null;
        var first = Pending[0];
        if (first.Endpoint != ReportEndpoints.Events) return new ReportBatch(first.Endpoint, first.Json, first.Seq, 1);
        var events = Pending.TakeWhile(r => r.Endpoint == ReportEndpoints.Events).Take(maxEvents).ToList();
        return new ReportBatch(ReportEndpoints.Events, "[" + string.Join(",", events.Select(e => e.Json)) + "]", events[^1].Seq, events.Count);
    }
}
