using System.Text.Json.Nodes;
using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Edge.Tests.Agent;

public sealed class TargetSelectionTests
{
    private static TargetCandidate T(string name, long version, string hw = "rpi4", string tag = "main", bool withdrawn = false) =>
        new(name, version, [hw], [tag], new Dictionary<string, string> { ["web"] = $"r/f/web@sha256:{version}" }, withdrawn);

    private static readonly HashSet<string> NoneFailed = [];

    public static TheoryData<string, TargetCandidate[], InstalledVersion?, string[], bool, SelectionOutcome, string?> Cases => new()
    {
        // description, candidates, installed, failed here, downgrade allowed, outcome, chosen
        { "first install takes the highest version", [T("a-1", 1), T("a-3", 3), T("a-2", 2)], null, [], false, SelectionOutcome.Install, "a-3" },
        { "versions compare as integers, not text", [T("a-9", 9), T("a-10", 10)], null, [], false, SelectionOutcome.Install, "a-10" },
        { "other hardware ids and tags are ignored", [T("a-5", 5, hw: "x86"), T("a-6", 6, tag: "devel"), T("a-2", 2)], null, [], false, SelectionOutcome.Install, "a-2" },
        { "nothing for this device", [T("a-5", 5, hw: "x86")], null, [], false, SelectionOutcome.NoTarget, null },
        { "the installed one is the newest", [T("a-1", 1), T("a-2", 2)], new("a-2", 2), [], false, SelectionOutcome.UpToDate, "a-2" },
        { "a newer one updates", [T("a-1", 1), T("a-2", 2)], new("a-1", 1), [], false, SelectionOutcome.Install, "a-2" },
        { "a failed newer one is skipped", [T("a-1", 1), T("a-2", 2), T("a-3", 3)], new("a-1", 1), ["a-3"], false, SelectionOutcome.Install, "a-2" },
        { "failed newest leaves the installed one", [T("a-1", 1), T("a-2", 2)], new("a-1", 1), ["a-2"], false, SelectionOutcome.UpToDate, "a-1" },
        { "all failed", [T("a-2", 2)], null, ["a-2"], false, SelectionOutcome.NoTarget, null },
        { "a lower version is refused", [T("a-1", 1)], new("a-4", 4), [], false, SelectionOutcome.DowngradeRefused, "a-1" },
        { "a lower version with downgrade allowed", [T("a-1", 1)], new("a-4", 4), [], true, SelectionOutcome.Install, "a-1" },
        { "equal versions: the greatest name wins", [T("a-2", 2), T("b-2", 2)], null, [], false, SelectionOutcome.Install, "b-2" },
        { "a withdrawn target is never installed", [T("a-1", 1), T("a-2", 2, withdrawn: true)], null, [], false, SelectionOutcome.Install, "a-1" },
        { "a newer withdrawn target is not an update", [T("a-1", 1), T("a-2", 2, withdrawn: true)], new("a-1", 1), [], false, SelectionOutcome.UpToDate, "a-1" },
        { "running a withdrawn target goes back down", [T("a-1", 1), T("a-2", 2), T("a-3", 3, withdrawn: true)], new("a-3", 3), [], false, SelectionOutcome.Install, "a-2" },
        { "back down skips what failed here", [T("a-1", 1), T("a-2", 2), T("a-3", 3, withdrawn: true)], new("a-3", 3), ["a-2"], false, SelectionOutcome.Install, "a-1" },
        { "withdrawn for another tag does not count", [T("a-1", 1), T("a-3", 3, tag: "devel", withdrawn: true)], new("a-3", 3), [], false, SelectionOutcome.DowngradeRefused, "a-1" },
        { "withdrawn with nothing to go back to: keep running", [T("a-3", 3, withdrawn: true)], new("a-3", 3), [], false, SelectionOutcome.NoTarget, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Selects_per_reference(string description, TargetCandidate[] candidates, InstalledVersion? installed, string[] failed,
        bool downgradeAllowed, SelectionOutcome outcome, string? chosen)
    {
        var choice = TargetSelection.Select(candidates, "rpi4", "main", installed, failed.ToHashSet(), downgradeAllowed);

        Assert.True(outcome == choice.Outcome, $"{description}: {choice.Outcome} ({choice.Reason})");
        Assert.Equal(chosen, choice.Target?.Name);
    }

    [Fact]
    public void Reasons_name_the_versions()
    {
        var refused = TargetSelection.Select([T("a-1", 1)], "rpi4", "main", new("a-4", 4), NoneFailed, false);
        Assert.Equal("the newest target a-1 has version 1, lower than the installed a-4 (version 4); downgrade is not allowed", refused.Reason);
        var none = TargetSelection.Select([T("a-1", 1)], "rpi4", "main", null, new HashSet<string> { "a-1" }, false);
        Assert.Contains("failed on this device or was withdrawn (a-1)", none.Reason);
        var back = TargetSelection.Select([T("a-1", 1), T("a-4", 4, withdrawn: true)], "rpi4", "main", new("a-4", 4), NoneFailed, false);
        Assert.Equal("a-4 (version 4) was withdrawn: back to a-1 (version 1)", back.Reason);
    }

    private static TargetFile File(string custom) => new(10, new Dictionary<string, string> { ["sha256"] = "00" }, JsonNode.Parse(custom)!.AsObject());

    [Fact]
    public void Reads_the_reference_custom_fields()
    {
        var candidate = TargetCandidate.FromTarget("acme-7", File("""
            {"version":"7","hardwareIds":["rpi4"],"tags":["main"],"docker_compose_apps":{"web":{"uri":"r/acme/web@sha256:ab"}},"createdAt":"x"}
            """), out var problem);

        Assert.Null(problem);
        Assert.Equal(7, candidate!.Version);
        Assert.Equal("r/acme/web@sha256:ab", candidate.Apps["web"]);
        Assert.False(candidate.Withdrawn);
        var withdrawn = TargetCandidate.FromTarget("acme-8", File("""
            {"version":"8","hardwareIds":["rpi4"],"tags":["main"],"docker_compose_apps":{},"withdrawn":"wave w aborted with rollback"}
            """), out _);
        Assert.True(withdrawn!.Withdrawn);
    }

    [Theory]
    [InlineData("""{"version":7,"hardwareIds":[],"tags":[],"docker_compose_apps":{}}""", "custom.version is not a string of an integer")]
    [InlineData("""{"version":"-7","hardwareIds":[],"tags":[],"docker_compose_apps":{}}""", "custom.version is not a string of an integer")]
    [InlineData("""{"version":"7","hardwareIds":"rpi4","tags":[],"docker_compose_apps":{}}""", "custom.hardwareIds or custom.tags is not a list of strings")]
    [InlineData("""{"version":"7","hardwareIds":[],"tags":[],"docker_compose_apps":[]}""", "custom.docker_compose_apps is not an object")]
    [InlineData("""{"version":"7","hardwareIds":[],"tags":[],"docker_compose_apps":{"web":{"uri":3}}}""", "custom.docker_compose_apps.web.uri is not a string")]
    public void Malformed_custom_fields_are_named(string custom, string expected)
    {
        Assert.Null(TargetCandidate.FromTarget("t", File(custom), out var problem));
        Assert.Equal(expected, problem);
    }
}
