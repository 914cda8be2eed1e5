using System.Globalization;
using Akka.Actor;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Audit;
using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>
/// The <c>audit</c> palette: pages of the audit journal, newest first, read through Akka.Persistence.Query in bounded
/// chunks (<see cref="AuditReader"/>); the journal singleton only says where the journal ends. Read-only: no command
/// here edits or deletes an entry, and reading is not itself audited.
/// </summary>
public sealed class AuditPaletteActor(IActorRef journal, AuditReader reader, TimeSpan askTimeout, TimeProvider time) : PaletteActor(PaletteCatalog.Audit)
{
    public static readonly IReadOnlyList<string> ListColumns = ["#", "time", "node", "operator", "role", "palette", "command", "arguments", "outcome", "exit", "error", "reason"];

    protected override void Execute(CommandInvocation invocation, CommandOutput output)
    {
        var query = Query(invocation, time.GetUtcNow());
        Run(output, async () =>
        {
            var head = await AskAccepted<AuditHead>(journal, GetAuditHead.Instance, askTimeout);
            var page = await reader.ReadAsync(head.Newest, query);
            output.Table(ListColumns, page.Entries.Select(Row));
            output.Line($"{page.Entries.Count} entries of {head.Newest} ({page.Scanned} read)" +
                        (page.NextBefore is { } next ? $"; older ones: --before {next.ToString(CultureInfo.InvariantCulture)}" : ""));
        });
    }

    /// <summary>The query <paramref name="invocation"/> asks for, or a usage error naming the bad switch.</summary>
    public static AuditQuery Query(CommandInvocation invocation, DateTimeOffset now)
    {
        var limit = invocation.Integer("limit") ?? AuditQuery.DefaultLimit;
        if (limit is < 1 or > AuditQuery.MaxLimit) throw Usage($"--limit must be 1..{AuditQuery.MaxLimit}, not {limit}");
        var before = invocation.Integer("before");
        if (before < 1) throw Usage($"--before must be an entry number of at least 1, not {before}");
        var who = invocation.String("operator");
        if (who is not null && Names.Operator.Problem(who) is { } problem) throw Usage($"--operator: {problem}");
        var palette = invocation.String("palette");
        if (palette is not null && PaletteCatalog.All.All(p => p.Name != palette))
            throw Usage($"--palette: no palette \"{palette}\"; palettes: {string.Join(", ", PaletteCatalog.All.Select(p => p.Name))}");
        return new AuditQuery(Since(invocation.String("since"), now), who, palette, before, (int)limit);
    }

    /// <summary>An ISO-8601 time (without an offset: UTC) or a duration back from <paramref name="now"/>.</summary>
    private static DateTimeOffset? Since(string? text, DateTimeOffset now)
    {
        if (text is null) return null;
        if (CommandParser.ParseDuration(text) is { } back) return now - back;
        if (text.Length >= 10 && char.IsAsciiDigit(text[0])
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            return at;
        throw Usage($"--since must be an ISO-8601 time (2026-05-01T12:00:00Z) or a duration back from now (30m, 2h, 7d), not \"{text}\"");
    }

    private static CommandFailedException Usage(string message) => new(ErrorCodes.Usage, message, ExitCodes.Usage);

    private static IReadOnlyList<string?> Row(NumberedAuditEntry numbered)
    {
        var e = numbered.Entry;
        return
        [
            numbered.Number.ToString(CultureInfo.InvariantCulture), e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            e.Node, e.Operator, e.Role, e.Palette, e.Command, CommandLineText.Join(e.Arguments), e.Outcome,
            e.ExitCode.ToString(CultureInfo.InvariantCulture), e.Error, e.Reason,
        ];
    }
}
