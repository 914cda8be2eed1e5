using System.Net;
using System.Text.Json;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>
/// The audit journal on a running node with named operator tokens: state-changing commands are recorded (who, role,
/// arguments with secrets elided, outcome) before they are answered, survive a restart, and <c>audit list</c> filters and pages them.
/// </summary>
public sealed class AuditPaletteTests : IAsyncLifetime
{
    private const string Alice = "alice-token";
    private const string Bob = "bob-token";
    private const string Admin = "admin-token";
    private readonly TempDirectory _tokens = new();
    private RunningNode _node = null!;
    private IPEndPoint _host = null!;

    public async Task InitializeAsync()
    {
        var file = _tokens.Combine("operator-tokens");
        // The admin line has no name (the format before names): it is named after its hash.
        await File.WriteAllTextAsync(file, $"operator {OperatorTokens.Hash(Alice)} alice\nviewer {OperatorTokens.Hash(Bob)} bob\nadmin {OperatorTokens.Hash(Admin)}\n");
        _node = await RunningNode.StartAsync(hocon: $"fleet.command-host.tokens-file = \"{file}\"");
        _host = await _node.CommandHostAsync();
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _tokens.Dispose();
    }

    private Task<PbmResult> RunAsync(string token, string palette, string command, params string[] arguments) =>
        PbmClient.RunAsync(_host, palette, command, arguments, token);

    private Task<PbmResult> ListAsync(params string[] arguments) => RunAsync(Bob, "audit", "list", arguments);

    private static IReadOnlyList<string?> Numbers(PbmResult list) => list.Rows.Select(r => r["#"]).ToList();

    [Fact]
    public async Task Commands_are_recorded_with_operator_arguments_and_outcome_and_survive_a_restart()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var created = await RunAsync(Alice, "groups", "create", "lab", "--description", "field sites");
        var forbidden = await RunAsync(Bob, "groups", "create", "other");
        var again = await RunAsync(Alice, "groups", "create", "lab");
        var submit = await RunAsync(Admin, "keys", "submit", "req-1", "--signature", "ab12:ffee");
        var listed = await RunAsync(Alice, "groups", "list");
        var list = await ListAsync();

        Assert.Equal(ExitCodes.Ok, created.End.ExitCode);
        Assert.Equal(ExitCodes.Forbidden, forbidden.End.ExitCode);
        Assert.Equal((ExitCodes.Failed, "group lab already exists"), (again.End.ExitCode, again.End.Message));
        Assert.Equal(ExitCodes.Failed, submit.End.ExitCode);
        Assert.Equal(ExitCodes.Ok, listed.End.ExitCode);
        Assert.Equal(ExitCodes.Ok, list.End.ExitCode);
        // Newest first; groups list and audit list change nothing and are not recorded.
        Assert.Equal(["4", "3", "2", "1"], Numbers(list));
        Assert.Equal(["4 entries of 4 (4 read)"], list.Lines);
        var (keys, refusedAgain, refused, accepted) = (list.Rows[0], list.Rows[1], list.Rows[2], list.Rows[3]);
        Assert.Equal(("alice", "operator", "groups", "create", "lab --description \"field sites\"", "accepted", "0", null, null),
            (accepted["operator"], accepted["role"], accepted["palette"], accepted["command"], accepted["arguments"], accepted["outcome"], accepted["exit"], accepted["error"], accepted["reason"]));
        var time = DateTimeOffset.Parse(accepted["time"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(time, before, DateTimeOffset.UtcNow);
        Assert.StartsWith("akka.", accepted["node"]);
        Assert.Equal(("bob", "viewer", "other", "refused", "3", ErrorCodes.Forbidden, "groups create needs the operator role; this session has viewer"),
            (refused["operator"], refused["role"], refused["arguments"], refused["outcome"], refused["exit"], refused["error"], refused["reason"]));
        Assert.Equal(("failed", "group lab already exists"), (refusedAgain["outcome"], refusedAgain["reason"]));
        // The signature is elided; the admin token has no name in the file, so it is named after its hash.
        Assert.Equal(("token-" + OperatorTokens.Hash(Admin)[7..15], "admin", "keys", "submit", "req-1 --signature <elided>", "failed"),
            (keys["operator"], keys["role"], keys["palette"], keys["command"], keys["arguments"], keys["outcome"]));
        Assert.DoesNotContain(list.Frames, f => JsonSerializer.Serialize<ServerFrame>(f, FrameCodec.Json).Contains("ffee"));

        await _node.RestartAsync();
        _host = await _node.CommandHostAsync();
        var afterRestart = await ListAsync();
        var deleted = await RunAsync(Alice, "groups", "delete", "lab");
        var newest = await ListAsync("--limit", "1");

        Assert.Equal(["4", "3", "2", "1"], Numbers(afterRestart));
        Assert.Equal(list.Rows.Select(r => r["arguments"]), afterRestart.Rows.Select(r => r["arguments"]));
        Assert.Equal(ExitCodes.Ok, deleted.End.ExitCode);
        // Numbering goes on after the restart: nothing recorded before it is overwritten.
        Assert.Equal(["5"], Numbers(newest));
        Assert.Equal(("delete", "alice"), (newest.Rows[0]["command"], newest.Rows[0]["operator"]));
        Assert.Equal(["1 entries of 5 (1 read); older ones: --before 5"], newest.Lines);
    }

    [Fact]
    public async Task Audit_list_filters_pages_and_refuses_bad_queries()
    {
        await RunAsync(Alice, "groups", "create", "g1");
        await RunAsync(Alice, "waves", "pause", "nowave");
        await RunAsync(Admin, "groups", "create", "g2");
        await RunAsync(Alice, "groups", "create", "g3");

        var alice = await ListAsync("--operator", "alice");
        var waves = await ListAsync("--palette", "waves");
        var page1 = await ListAsync("--limit", "2");
        var page2 = await ListAsync("--limit", "2", "--before", "3");
        var recent = await ListAsync("--since", "1h");
        var future = await ListAsync("--since", DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        var aliceGroups = await ListAsync("--operator", "alice", "--palette", "groups", "--limit", "1");
        var badLimit = await ListAsync("--limit", "5000");
        var badSince = await ListAsync("--since", "last tuesday");
        var json = await PbmClient.ProcessAsync("--json", "--token", Bob, $"127.0.0.1:{_host.Port}", "audit", "list", "--palette", "waves");

        Assert.Equal(["4", "2", "1"], Numbers(alice));
        Assert.Equal(["2"], Numbers(waves));
        Assert.Equal(("nowave", "failed"), (waves.Rows[0]["arguments"], waves.Rows[0]["outcome"]));
        Assert.Equal(["4", "3"], Numbers(page1));
        Assert.Equal("2 entries of 4 (2 read); older ones: --before 3", page1.Lines.Single());
        Assert.Equal(["2", "1"], Numbers(page2));
        Assert.Equal("2 entries of 4 (2 read)", page2.Lines.Single()); // entry 1 is the oldest: no next page
        Assert.Equal(4, recent.Rows.Count);
        Assert.Empty(future.Rows);
        Assert.Equal(["4"], Numbers(aliceGroups));
        Assert.Equal("1 entries of 4 (1 read); older ones: --before 4", aliceGroups.Lines.Single());
        Assert.Equal((ExitCodes.Usage, ErrorCodes.Usage, "--limit must be 1..1000, not 5000"), (badLimit.End.ExitCode, badLimit.End.Error, badLimit.End.Message));
        Assert.Equal((ExitCodes.Usage, "--since must be an ISO-8601 time (2026-05-01T12:00:00Z) or a duration back from now (30m, 2h, 7d), not \"last tuesday\""),
            (badSince.End.ExitCode, badSince.End.Message));
        // pbm --json: the table's rows as objects keyed by column, as for every listing.
        Assert.Equal(0, json.ExitCode);
        var table = json.Stdout.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("{\"type\":\"table\"", StringComparison.Ordinal));
        var row = JsonDocument.Parse(table).RootElement.GetProperty("rows")[0];
        Assert.Equal(("2", "alice", "waves", "pause"), (row.GetProperty("#").GetString(), row.GetProperty("operator").GetString(),
            row.GetProperty("palette").GetString(), row.GetProperty("command").GetString()));
    }
}
