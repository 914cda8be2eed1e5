using FleetOrchestrator.ControlPlane.Audit;

namespace FleetOrchestrator.ControlPlane.Tests.Audit;

/// <summary>The page logic of <c>audit list</c>: filters, limit, --since and where the next page starts.</summary>
public sealed class AuditScanTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Entry n at Start + n minutes; odd numbers by alice on groups, even by bob on waves.</summary>
    private static AuditEntry Entry(long n) => new(Start.AddMinutes(n), "node", n % 2 == 1 ? "alice" : "bob", "operator",
        n % 2 == 1 ? "groups" : "waves", "create", [], AuditEntry.Accepted, 0);

    /// <summary>Offers entries newest (<paramref name="newest"/>) first, as the reader does, until the scan is done.</summary>
    private static AuditPage Scan(AuditQuery query, long newest)
    {
        var scan = new AuditScan(query);
        for (var n = query.StartAt(newest); n >= 1 && !scan.Done; n--) scan.Offer(n, Entry(n));
        return scan.Page();
    }

    [Fact]
    public void A_page_is_newest_first_and_says_where_the_next_starts()
    {
        var first = Scan(new AuditQuery(Limit: 3), newest: 10);
        var second = Scan(new AuditQuery(Before: first.NextBefore, Limit: 3), newest: 10);
        var last = Scan(new AuditQuery(Before: 2, Limit: 3), newest: 10);

        Assert.Equal([10L, 9, 8], first.Entries.Select(e => e.Number));
        Assert.Equal(8, first.NextBefore);
        Assert.Equal([7L, 6, 5], second.Entries.Select(e => e.Number));
        Assert.Equal([1L], last.Entries.Select(e => e.Number));
        Assert.Null(last.NextBefore);
    }

    [Fact]
    public void Filters_keep_only_the_operator_and_palette_asked_for()
    {
        var alice = Scan(new AuditQuery(Operator: "alice", Limit: 50), newest: 10);
        var waves = Scan(new AuditQuery(Palette: "waves", Limit: 2), newest: 10);
        var none = Scan(new AuditQuery(Operator: "alice", Palette: "waves"), newest: 10);

        Assert.Equal([9L, 7, 5, 3, 1], alice.Entries.Select(e => e.Number));
        Assert.Equal((10L, "alice"), (alice.Scanned, alice.Entries[0].Entry.Operator));
        Assert.Null(alice.NextBefore);
        Assert.Equal([10L, 8], waves.Entries.Select(e => e.Number));
        Assert.Equal(8, waves.NextBefore);
        Assert.Empty(none.Entries);
        Assert.Null(none.NextBefore);
    }

    [Fact]
    public void Since_stops_the_scan_at_the_first_older_entry()
    {
        var page = Scan(new AuditQuery(Since: Start.AddMinutes(7)), newest: 10);

        Assert.Equal([10L, 9, 8, 7], page.Entries.Select(e => e.Number));
        Assert.Equal(5, page.Scanned); // entry 6 was read, and ended the scan
        Assert.Null(page.NextBefore);
    }

    [Fact]
    public void A_rare_match_ends_the_page_at_the_scan_bound_with_the_place_to_go_on()
    {
        var page = Scan(new AuditQuery(Operator: "nobody"), newest: AuditQuery.MaxScan + 10);

        Assert.Empty(page.Entries);
        Assert.Equal(AuditQuery.MaxScan, page.Scanned);
        Assert.Equal(11, page.NextBefore);
    }

    [Fact]
    public void Before_beyond_the_newest_starts_at_the_newest() =>
        Assert.Equal((10L, 4L), (new AuditQuery(Before: 99).StartAt(10), new AuditQuery(Before: 5).StartAt(10)));
}
