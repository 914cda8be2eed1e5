using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Edge.Tests.Agent;

public sealed class CheckInDecisionTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);
    private static readonly Guid UpdateId = Guid.Parse("5f0c2b9e-0000-4000-8000-000000000001");

    private static readonly EdgeSettings Settings = new()
    {
        DataDirectory = "/data/agent", Gateway = new Uri("https://gateway:8443/"), DeviceName = "d1", HardwareId = "rpi4", Tag = "main",
        AppsRoot = "/data/agent/compose-apps", StoreRoot = "/data/agent/store",
    };

    private static TargetCandidate Candidate(string name, long version, string tag = "main") =>
        new(name, version, ["rpi4"], [tag], new Dictionary<string, string> { ["web"] = $"u{version}" });

    private static TargetsChecked Check(params TargetCandidate[] candidates) => new(candidates, [], At);

    private static AgentState Running(TargetCandidate target) =>
        AgentState.Empty.Apply(AgentState.Empty.Plan(target, null, "c0", At)!).Apply(new UpdateConfirmed("c0", At));

    [Fact]
    public void A_newer_target_begins_an_update_whose_correlation_id_starts_with_its_version()
    {
        var decision = CheckInDecision.Decide(Running(Candidate("acme-1", 1)), Check(Candidate("acme-1", 1), Candidate("acme-2", 2)), false, Settings, UpdateId, At);

        Assert.Equal([new CheckedIn(At)], decision.Records);
        Assert.Null(decision.Finished);
        Assert.Equal($"2-{UpdateId}", decision.Begun!.CorrelationId);
        Assert.Equal("acme-2", decision.Begun.Target.Name);
        Assert.Equal(["web"], decision.Begun.Install);
    }

    [Fact]
    public void Without_an_update_the_cycle_ends_up_to_date_with_no_target_or_refused()
    {
        var running = Running(Candidate("acme-2", 2));

        Assert.Equal(CycleResult.UpToDate, CheckInDecision.Decide(running, Check(Candidate("acme-2", 2)), false, Settings, UpdateId, At).Finished!.Result);
        Assert.Equal(CycleResult.NoTarget, CheckInDecision.Decide(running, Check(Candidate("acme-9", 9, "beta")), false, Settings, UpdateId, At).Finished!.Result);
        var downgrade = CheckInDecision.Decide(running, Check(Candidate("acme-1", 1)), false, Settings, UpdateId, At);
        Assert.Equal(CycleResult.Refused, downgrade.Finished!.Result);
        Assert.Null(downgrade.Begun);
        Assert.Equal(downgrade.Choice.Reason, downgrade.Finished.Message);
    }

    [Fact]
    public void The_operators_config_is_recorded_when_it_changes_and_its_tag_followed()
    {
        var check = Check(Candidate("acme-1", 1), Candidate("beta-5", 5, "beta")) with { Config = DeviceConfig.Of("beta", null) };

        var decision = CheckInDecision.Decide(AgentState.Empty, check, false, Settings, UpdateId, At);

        Assert.Equal([new CheckedIn(At), new ConfigReceived(DeviceConfig.Of("beta", null), At)], decision.Records);
        Assert.Equal("beta-5", decision.Begun!.Target.Name);
        var known = AgentState.Empty.Apply(new ConfigReceived(DeviceConfig.Of("beta", null), At));
        Assert.Equal([new CheckedIn(At)], CheckInDecision.Decide(known, check, false, Settings, UpdateId, At).Records);
    }

    [Fact]
    public void Without_an_answer_from_the_gateway_the_last_known_config_stays()
    {
        var known = AgentState.Empty.Apply(new ConfigReceived(DeviceConfig.Of("beta", null), At));
        var check = Check(Candidate("acme-1", 1), Candidate("beta-5", 5, "beta")) with { ConfigProblem = "503 Service Unavailable" };

        var decision = CheckInDecision.Decide(known, check, false, Settings, UpdateId, At);

        Assert.Equal([new CheckedIn(At)], decision.Records);
        Assert.Equal("beta-5", decision.Begun!.Target.Name);
    }

    [Fact]
    public void Failed_targets_are_cleared_only_when_asked_and_some_failed()
    {
        var failed = AgentState.Empty
            .Apply(AgentState.Empty.Plan(Candidate("acme-3", 3), null, "3-x", At)!)
            .Apply(new UpdateAbandoned("3-x", "broken", MarkFailed: true, RollbackFailed: false));

        Assert.Equal([new FailedTargetsCleared(At), new CheckedIn(At)], CheckInDecision.Decide(failed, Check(), true, Settings, UpdateId, At).Records);
        Assert.Equal([new CheckedIn(At)], CheckInDecision.Decide(failed, Check(), false, Settings, UpdateId, At).Records);
        Assert.Equal([new CheckedIn(At)], CheckInDecision.Decide(AgentState.Empty, Check(), true, Settings, UpdateId, At).Records);
    }

    [Fact]
    public void A_failed_target_is_skipped_until_retry_is_asked_and_then_retried_in_the_same_cycle()
    {
        var failed = AgentState.Empty
            .Apply(AgentState.Empty.Plan(Candidate("acme-3", 3), null, "3-x", At)!)
            .Apply(new UpdateAbandoned("3-x", "broken", MarkFailed: true, RollbackFailed: false));

        Assert.Null(CheckInDecision.Decide(failed, Check(Candidate("acme-3", 3)), false, Settings, UpdateId, At).Begun);
        Assert.Equal("acme-3", CheckInDecision.Decide(failed, Check(Candidate("acme-3", 3)), true, Settings, UpdateId, At).Begun!.Target.Name);
    }
}
