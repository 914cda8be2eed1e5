namespace FleetOrchestrator.ControlPlane.Audit;

/// <summary>A page of the audit journal, newest first: entries before number <see cref="Before"/> (null: from the newest), filtered.</summary>
/// <param name="Since">Only entries recorded at or after this time; the scan stops at the first older entry.</param>
public sealed record AuditQuery(DateTimeOffset? Since = null, string? Operator = null, string? Palette = null, long? Before = null, int Limit = AuditQuery.DefaultLimit)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;

    /// <summary>Entries one query reads at most: a filter that matches rarely ends its page there, with the number to go on before.</summary>
    public const int MaxScan = 100_000;

    public bool Matches(AuditEntry entry) =>
        (Operator is null || entry.Operator == Operator) && (Palette is null || entry.Palette == Palette);

    /// <summary>The first entry number to read, given the journal's newest.</summary>
    public long StartAt(long newest) => Before is { } before ? Math.Min(newest, before - 1) : newest;
}

public sealed record NumberedAuditEntry(long Number, AuditEntry Entry);

/// <summary>One page: the matching entries, newest first, and where the next page starts (null: nothing older matches).</summary>
/// <param name="NextBefore">Pass as <see cref="AuditQuery.Before"/> for the next page; set when the page is full or the scan bound was reached.</param>
/// <param name="Scanned">Entries read to make this page.</param>
public sealed record AuditPage(IReadOnlyList<NumberedAuditEntry> Entries, long? NextBefore, long Scanned);

/// <summary>Collects a page from entries offered newest first, and says when to stop reading.</summary>
public sealed class AuditScan(AuditQuery query)
{
    private readonly List<NumberedAuditEntry> _found = [];
    private long _scanned;
    private long _lowest;
    private bool _exhausted;

    /// <summary>True once the page is full, the scan bound is reached, or an entry older than <see cref="AuditQuery.Since"/> was seen.</summary>
    public bool Done { get; private set; }

    public void Offer(long number, AuditEntry entry)
    {
        if (Done) throw new InvalidOperationException("the scan is done");
        _scanned++;
        _lowest = number;
        if (query.Since is { } since && entry.Time < since)
        {
            (Done, _exhausted) = (true, true);
            return;
        }
        if (query.Matches(entry)) _found.Add(new NumberedAuditEntry(number, entry));
        Done = _found.Count == query.Limit || _scanned == AuditQuery.MaxScan;
    }

    public AuditPage Page() => new(_found, Done && !_exhausted && _lowest > 1 ? _lowest : null, _scanned);
}
