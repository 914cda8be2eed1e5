using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.Edge.Outbox;

/// <summary>Gateway endpoints the outbox posts to.</summary>
public static class ReportEndpoints
{
    public const string Events = "events";
    public const string AppsStates = "apps-states";
    /// <summary>Sent with PUT: the device's current facts replace the previous ones.</summary>
    public const string SystemInfo = "system_info";
}

/// <summary>
/// Queue a report (one DeviceEvent, or one AppsStatesReport) for <paramref name="Endpoint"/>; it is kept until the gateway
/// answers 2xx. A report with an <paramref name="Id"/> the outbox holds or recently delivered is dropped (queued again after a crash).
/// </summary>
public sealed record QueueReport(string Endpoint, string Json, string? Id = null);

/// <summary>Try to deliver now; the sender gets <see cref="OutboxFlushed"/> after the attempt.</summary>
public sealed record FlushOutbox;

public sealed record OutboxFlushed(int Pending);

/// <summary>Told to the parent whenever the number of undelivered reports changes.</summary>
public sealed record OutboxPending(int Count);

// ---- persisted (journal "event-outbox")

public sealed record ReportQueued(long Seq, string Endpoint, string Json, string? Id = null) : IFleetMessage;

/// <summary>Every report up to <paramref name="ThroughSeq"/> is done with (delivered, or refused for good by the gateway).</summary>
public sealed record ReportsDelivered(long ThroughSeq) : IFleetMessage;

public sealed record OutboxSnapshot(IReadOnlyList<ReportQueued> Pending, long NextSeq, IReadOnlyList<string>? RecentIds = null) : IFleetMessage;
