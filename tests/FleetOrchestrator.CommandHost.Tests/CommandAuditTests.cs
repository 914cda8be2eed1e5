using FleetOrchestrator.CommandHost.Palettes;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Audit;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>What an audit entry records of a command, from the command definitions alone; and how <c>audit list</c> reads its switches.</summary>
public sealed class CommandAuditTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly OperatorIdentity Alice = new("alice", OperatorRole.Admin);

    private static CommandInvocation Parse(string palette, string command, params string[] arguments) =>
        CommandParser.Parse(PaletteCatalog.All, palette, command, arguments);

    [Fact]
    public void Arguments_are_positionals_then_switches_with_secret_values_elided()
    {
        var submit = Parse("keys", "submit", "--signature", "ab12:ffee", "req-1", "--signature", "cd34:0011");
        var prepare = Parse("keys", "prepare-root", "--root-key", "{\"keytype\":\"ed25519\"}");
        var rollout = Parse("waves", "rollout", "w1", "--approval", "--group", "lab", "--bake", "30m");

        Assert.Equal(["req-1", "--signature", AuditEntry.Elided, "--signature", AuditEntry.Elided], CommandAudit.Arguments(submit));
        Assert.Equal(["--root-key", AuditEntry.Elided], CommandAudit.Arguments(prepare));
        Assert.Equal(["w1", "--group", "lab", "--bake", "30m", "--approval"], CommandAudit.Arguments(rollout));
    }

    [Fact]
    public void Commands_that_change_state_are_audited_and_readers_are_not()
    {
        var audited = PaletteCatalog.All.SelectMany(p => p.Commands.Where(c => c.Audited).Select(c => $"{p.Name} {c.Name}")).ToHashSet();

        Assert.Contains("apps publish", audited);
        Assert.Contains("targets prune", audited);
        Assert.Contains("devices config", audited);
        Assert.Contains("keys submit", audited);
        Assert.Contains("cluster down", audited);
        Assert.DoesNotContain("devices list", audited);
        Assert.DoesNotContain("audit list", audited);
        Assert.DoesNotContain("keys pending", audited);
        Assert.True(new CommandDefinition("peek", "", OperatorRole.Admin, [], [], ChangesState: false) is { Audited: false });
    }

    [Theory]
    [InlineData(ExitCodes.Ok, null, AuditEntry.Accepted)]
    [InlineData(ExitCodes.Forbidden, ErrorCodes.Forbidden, AuditEntry.Refused)]
    [InlineData(ExitCodes.Usage, ErrorCodes.Usage, AuditEntry.Refused)]
    [InlineData(ExitCodes.Failed, ErrorCodes.NotFound, AuditEntry.Failed)]
    [InlineData(ExitCodes.Failed, ErrorCodes.Timeout, AuditEntry.Failed)]
    public void The_outcome_follows_the_exit_code(int exitCode, string? error, string outcome)
    {
        var entry = CommandAudit.Entry(Parse("groups", "create", "lab"), Alice, "akka.ssl.tcp://fleet@n1:4053", Now, new EndFrame(exitCode, error, "why"));

        Assert.Equal(new AuditEntry(Now, "akka.ssl.tcp://fleet@n1:4053", "alice", "admin", "groups", "create", entry.Arguments, outcome, exitCode, error, "why"), entry);
        Assert.Equal(["lab"], entry.Arguments);
    }

    [Fact]
    public void A_reason_quoting_a_secret_value_is_elided_too()
    {
        var submit = Parse("keys", "submit", "req-1", "--signature", "zz:qq");

        var entry = CommandAudit.Entry(submit, Alice, "n", Now, new EndFrame(ExitCodes.Usage, ErrorCodes.Usage, "--signature \"zz:qq\" is not <keyid>:<hex signature>"));

        Assert.Equal("--signature \"<elided>\" is not <keyid>:<hex signature>", entry.Reason);
    }

    [Fact]
    public void A_long_reason_is_cut()
    {
        var entry = CommandAudit.Entry(Parse("groups", "create", "lab"), Alice, "n", Now, new EndFrame(ExitCodes.Failed, ErrorCodes.Failed, new string('x', 5000)));

        Assert.Equal(CommandAudit.MaxReasonLength + 1, entry.Reason!.Length);
        Assert.EndsWith("x…", entry.Reason);
    }

    [Fact]
    public void An_unrecorded_entry_is_answered_with_what_the_command_did()
    {
        var invocation = Parse("groups", "create", "lab");

        var accepted = CommandAudit.NotRecorded(invocation, EndFrame.Ok, "the audit journal did not confirm it within 10 s");
        var refused = CommandAudit.NotRecorded(invocation, new EndFrame(ExitCodes.Forbidden, ErrorCodes.Forbidden, "needs operator"), "down");
        var failed = CommandAudit.NotRecorded(invocation, new EndFrame(ExitCodes.Failed, ErrorCodes.Timeout, "no answer"), "down");

        Assert.Equal(new EndFrame(ExitCodes.Failed, ErrorCodes.AuditFailed,
            "groups create succeeded and its change stands, but its audit journal entry was not recorded: the audit journal did not confirm it within 10 s"), accepted);
        Assert.Equal("groups create was refused (needs operator) and changed nothing, but its audit journal entry was not recorded: down", refused.Message);
        Assert.Equal("groups create failed (timeout: no answer); whatever it changed before failing stands, but its audit journal entry was not recorded: down", failed.Message);
    }

    [Fact]
    public void Audit_list_reads_times_durations_and_bounds()
    {
        var query = AuditPaletteActor.Query(Parse("audit", "list", "--since", "2h", "--operator", "alice", "--palette", "waves", "--limit", "7", "--before", "40"), Now);
        var iso = AuditPaletteActor.Query(Parse("audit", "list", "--since", "2026-04-30T10:00:00+02:00"), Now);
        var utc = AuditPaletteActor.Query(Parse("audit", "list", "--since", "2026-04-30T10:00:00"), Now);
        var defaults = AuditPaletteActor.Query(Parse("audit", "list"), Now);

        Assert.Equal(new AuditQuery(Now.AddHours(-2), "alice", "waves", 40, 7), query);
        Assert.Equal(new DateTimeOffset(2026, 4, 30, 8, 0, 0, TimeSpan.Zero), iso.Since);
        Assert.Equal(new DateTimeOffset(2026, 4, 30, 10, 0, 0, TimeSpan.Zero), utc.Since);
        Assert.Equal(new AuditQuery(Limit: AuditQuery.DefaultLimit), defaults);
    }

    [Theory]
    [InlineData("--since", "yesterday", "--since must be an ISO-8601 time (2026-05-01T12:00:00Z) or a duration back from now (30m, 2h, 7d), not \"yesterday\"")]
    [InlineData("--since", "2026-13-01", "--since must be an ISO-8601 time (2026-05-01T12:00:00Z) or a duration back from now (30m, 2h, 7d), not \"2026-13-01\"")]
    [InlineData("--limit", "0", "--limit must be 1..1000, not 0")]
    [InlineData("--limit", "1001", "--limit must be 1..1000, not 1001")]
    [InlineData("--before", "0", "--before must be an entry number of at least 1, not 0")]
    [InlineData("--operator", "Alice Smith", "--operator: invalid operator name \"Alice Smith\": use 1-64 of a-z 0-9 . _ @ - starting with a letter or digit")]
    [InlineData("--palette", "nope", "--palette: no palette \"nope\"; palettes: cluster, cluster-sharding, actor, apps, targets, devices, groups, waves, keys, audit")]
    public void Bad_audit_queries_are_usage_errors(string name, string value, string message)
    {
        var refused = Assert.Throws<CommandFailedException>(() => AuditPaletteActor.Query(Parse("audit", "list", name, value), Now));

        Assert.Equal((ExitCodes.Usage, ErrorCodes.Usage, message), (refused.ExitCode, refused.Error, refused.Message));
    }

    [Fact]
    public void Joined_arguments_split_back_to_the_same_tokens()
    {
        string[] tokens = ["plain", "two words", "", "quote\"d", "back\\slash", "it's", AuditEntry.Elided];

        var joined = CommandLineText.Join(tokens);

        Assert.Equal("plain \"two words\" \"\" \"quote\\\"d\" \"back\\\\slash\" \"it's\" <elided>", joined);
        Assert.Equal(tokens, CommandLineText.Split(joined));
    }
}
