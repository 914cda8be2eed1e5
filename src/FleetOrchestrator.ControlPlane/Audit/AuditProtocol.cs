using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Audit;

/// <summary>One operator command as the audit journal keeps it, written before the command's answer is sent.</summary>
/// <param name="Time">When the command host had the outcome (its node's clock).</param>
/// <param name="Node">The command host's node (cluster address).</param>
/// <param name="Operator">The token's name (<c>loopback</c> without a tokens file).</param>
/// <param name="Role">The session's role: viewer, operator or admin.</param>
/// <param name="Arguments">As parsed: positional values, then <c>--switch value</c>; secret values are <see cref="Elided"/>.</param>
/// <param name="Outcome"><see cref="Accepted"/>, <see cref="Refused"/> (the host refused it before it ran) or <see cref="Failed"/> (it ran and failed).</param>
/// <param name="ExitCode">The exit code pbm got.</param>
/// <param name="Error">The error code of a refusal or failure.</param>
/// <param name="Reason">What the answer said was wrong.</param>
public sealed record AuditEntry(
    DateTimeOffset Time,
    string Node,
    string Operator,
    string Role,
    string Palette,
    string Command,
    IReadOnlyList<string> Arguments,
    string Outcome,
    int ExitCode,
    string? Error = null,
    string? Reason = null)
{
    public const string Accepted = "accepted";
    public const string Refused = "refused";
    public const string Failed = "failed";
    public const string Elided = "<elided>";
}

/// <summary>Appends <see cref="Entry"/>; answered with <see cref="AuditEntryStored"/> once it is persisted.</summary>
public sealed record RecordAuditEntry(AuditEntry Entry) : IFleetMessage;

/// <summary>The persisted event: the journal's events are the audit trail, never deleted or rewritten.</summary>
public sealed record AuditEntryRecorded(AuditEntry Entry) : IFleetMessage;

/// <summary>The entry is persisted as number <see cref="Number"/> (its sequence number in the journal).</summary>
public sealed record AuditEntryStored(long Number) : IFleetMessage;

/// <summary>Asks how many entries the journal holds; answered with <see cref="AuditHead"/>.</summary>
public sealed record GetAuditHead : IFleetMessage
{
    public static GetAuditHead Instance { get; } = new();
}

/// <summary>The number of the newest entry (0: none); entries are numbered 1..<see cref="Newest"/> without gaps.</summary>
public sealed record AuditHead(long Newest) : IFleetMessage;
