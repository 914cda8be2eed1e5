using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Edge.Agent;

namespace FleetOrchestrator.Edge.Tests.Agent;

public sealed class AgentStateTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);

    private static TargetCandidate Candidate(string name, long version, params (string App, string Uri)[] apps) =>
        new(name, version, ["rpi4"], ["main"], apps.ToDictionary(a => a.App, a => a.Uri));

    private static AgentState Installed(TargetCandidate target)
    {
        var begun = AgentState.Empty.Plan(target, null, "c0", At)!;
        return AgentState.Empty.Apply(begun).Apply(new UpdateConfirmed("c0", At));
    }

    [Fact]
    public void The_operators_config_is_kept_through_a_snapshot_and_dropped_when_the_gateway_has_none()
    {
        var state = AgentState.Empty.Apply(new ConfigReceived(DeviceConfig.Of("prod", ["web"]), At));

        Assert.Equal(DeviceConfig.Of("prod", ["web"]), AgentState.From(state.ToSnapshot()).Config);
        Assert.Null(state.Apply(new ConfigReceived(null, At)).Config);
    }

    [Fact]
    public void A_confirmed_update_becomes_the_current_target_with_the_selected_apps()
    {
        var target = Candidate("a-1", 1, ("web", "u1"), ("db", "u2"));
        var begun = AgentState.Empty.Plan(target, ["web"], "1-x", At)!;

        Assert.Equal(["web"], begun.Install);
        var state = AgentState.Empty.Apply(begun).Apply(new UpdateFetched("1-x")).Apply(new UpdateInstalled("1-x")).Apply(new UpdateStarted("1-x"));
        Assert.Equal(UpdatePhase.Started, state.Update!.Phase);
        Assert.Null(state.Update.Previous);
        state = state.Apply(new UpdateConfirmed("1-x", At));

        Assert.Null(state.Update);
        Assert.Equal("a-1", state.Current!.Name);
        Assert.Equal(["web"], state.Current.Apps.Keys);
    }

    [Fact]
    public void An_update_remembers_the_previous_target_and_what_changes()
    {
        var state = Installed(Candidate("a-1", 1, ("web", "u1"), ("db", "u2")));

        var begun = state.Plan(Candidate("a-2", 2, ("web", "u1b"), ("cache", "u3")), null, "2-x", At)!;
        state = state.Apply(begun);

        Assert.Equal(["cache", "web"], begun.Install);
        Assert.Equal(["db"], begun.Remove);
        Assert.Equal("a-1", state.Update!.Previous!.Name);
    }

    [Fact]
    public void The_same_target_with_the_same_selection_plans_nothing_but_a_deselection_plans_a_removal()
    {
        var target = Candidate("a-1", 1, ("web", "u1"), ("db", "u2"));
        var state = Installed(target);

        Assert.Null(state.Plan(target, null, "1-y", At));
        var deselect = state.Plan(target, ["web"], "1-z", At)!;
        Assert.Empty(deselect.Install);
        Assert.Equal(["db"], deselect.Remove);
    }

    [Fact]
    public void A_rollback_keeps_the_current_target_and_marks_the_new_one_failed_until_cleared()
    {
        var state = Installed(Candidate("a-1", 1, ("web", "u1")));
        state = state.Apply(state.Plan(Candidate("a-2", 2, ("web", "u2")), null, "2-x", At)!)
            .Apply(new RollbackBegun("2-x", "exited with code 3"));

        Assert.Equal((UpdatePhase.RollingBack, "exited with code 3"), (state.Update!.Phase, state.Update.RollbackReason));
        state = state.Apply(new UpdateAbandoned("2-x", "exited with code 3", MarkFailed: true, RollbackFailed: false));

        Assert.Equal("a-1", state.Current!.Name);
        Assert.Null(state.Update);
        Assert.Equal(["a-2"], state.FailedTargets);
        Assert.Empty(state.Apply(new FailedTargetsCleared(At)).FailedTargets);
    }

    [Fact]
    public void A_transient_failure_abandons_without_marking_the_target()
    {
        var state = AgentState.Empty.Apply(AgentState.Empty.Plan(Candidate("a-1", 1, ("web", "u1")), null, "1-x", At)!)
            .Apply(new UpdateAbandoned("1-x", "registry unreachable", MarkFailed: false, RollbackFailed: false));

        Assert.Empty(state.FailedTargets);
        Assert.Null(state.Current);
    }

    [Fact]
    public void Records_of_another_update_change_nothing_and_the_snapshot_round_trips()
    {
        var state = AgentState.Empty.Apply(AgentState.Empty.Plan(Candidate("a-1", 1, ("web", "u1")), null, "1-x", At)!);

        Assert.Same(state, state.Apply(new UpdateFetched("other")));
        var restored = AgentState.From(state.Apply(new CheckedIn(At)).ToSnapshot());
        Assert.Equal((state.Update, At), (restored.Update, restored.LastCheckIn));
    }
}
