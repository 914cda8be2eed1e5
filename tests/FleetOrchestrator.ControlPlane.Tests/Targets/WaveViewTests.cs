using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Targets;

/// <summary>The views waves use: open (production + the wave's target), promote into production, close.</summary>
public class WaveViewTests : RepositoryScenario
{
    [Fact]
    public void A_wave_view_adds_the_target_for_its_devices_and_promotion_moves_it_to_production()
    {
        var opened = Apply(r => TargetsDecisions.OpenWave(r, Test.Signers, Time, new OpenWaveView("prod", "wave-1", "2")));
        Assert.Equal("acme-2", opened.Target);
        Assert.Equal(2, opened.TargetsVersion);

        Assert.Equal(["acme-1"], Served("prod").Targets.Keys);
        var wave = Served("prod", "wave-1").Targets;
        Assert.Equal(["acme-1", "acme-2"], wave.Keys.Order());
        // The wave's target now names the prod tag, so prod devices' target selection takes it.
        Assert.Equal(["main", "prod"], wave["acme-2"].Custom!["tags"]!.AsArray().Select(t => (string)t!));
        var prod = State.Tags["prod"];
        Assert.Equal(2, prod.TargetsVersion); // both views signed at the same, higher version

        Apply(r => TargetsDecisions.EndWave(r, Test.Signers, Time, "prod", "wave-1", WaveViewEnd.Promote));
        Assert.Equal(["acme-1", "acme-2"], Served("prod").Targets.Keys.Order());
        Assert.DoesNotContain("wave-1", State.Tags["prod"].Views.Keys);
        Assert.Equal(3, State.Tags["prod"].TargetsVersion);
    }

    [Fact]
    public void Closing_a_wave_leaves_production_as_it_was()
    {
        Apply(r => TargetsDecisions.OpenWave(r, Test.Signers, Time, new OpenWaveView("prod", "wave-2", "2")));
        Apply(r => TargetsDecisions.EndWave(r, Test.Signers, Time, "prod", "wave-2", WaveViewEnd.Close));
        Assert.Equal(["acme-1"], Served("prod").Targets.Keys);
        Assert.Equal([TufRepository.ProductionView], State.Tags["prod"].Views.Keys);
    }

    [Fact]
    public void Withdrawing_a_wave_lists_its_target_in_production_marked_withdrawn_and_refuses_it_afterwards()
    {
        Apply(r => TargetsDecisions.OpenWave(r, Test.Signers, Time, new OpenWaveView("prod", "wave-4", "2")));
        var before = State.Tags["prod"].TargetsVersion;

        var withdrawn = Apply(r => TargetsDecisions.EndWave(r, Test.Signers, Time, "prod", "wave-4", WaveViewEnd.Withdraw));

        Assert.Equal("acme-2", withdrawn.Target);
        Assert.Equal([TufRepository.ProductionView], State.Tags["prod"].Views.Keys);
        Assert.Equal(before + 1, State.Tags["prod"].TargetsVersion);
        // Signed for devices: acme-1 as it was, acme-2 marked, so the wave's devices go back to acme-1.
        var production = Served("prod").Targets;
        Assert.Equal(["acme-1", "acme-2"], production.Keys.Order());
        Assert.Null(production["acme-1"].Custom![TargetCustom.Withdrawn]);
        Assert.Equal("wave wave-4 aborted with rollback", (string)production["acme-2"].Custom![TargetCustom.Withdrawn]!);
        // The tag main, where CI published acme-2, is not touched, but no wave or tagging may offer acme-2 again.
        Assert.Null(Served("main").Targets["acme-2"].Custom![TargetCustom.Withdrawn]);
        Assert.Equal("acme-2 (version 2) is withdrawn (wave wave-4 aborted with rollback); publish a new version",
            TargetsDecisions.OpenWave(Repository, Test.Signers, Time, new OpenWaveView("main", "wave-5", "2")).Refusal);
        Assert.True(TargetsDecisions.Tag(Repository, Test.Signers, Time, new TagTargets("2", ["lab"])).IsRefused);
    }

    [Fact]
    public void Withdrawing_is_refused_when_production_has_nothing_to_go_back_to()
    {
        Apply(r => TargetsDecisions.OpenWave(r, Test.Signers, Time, new OpenWaveView("fresh", "wave-6", "2")));
        Assert.Equal("tag fresh has no production target to roll back to; abort without --rollback leaves the devices where they are",
            TargetsDecisions.EndWave(Repository, Test.Signers, Time, "fresh", "wave-6", WaveViewEnd.Withdraw).Refusal);
    }

    [Fact]
    public void Advancing_a_tags_views_signs_every_view_again_one_version_up_with_the_same_targets()
    {
        Apply(r => TargetsDecisions.OpenWave(r, Test.Signers, Time, new OpenWaveView("prod", "wave-3", "2")));
        var before = State.Tags["prod"];
        var timestampBefore = State.Tags["prod"].Views["wave-3"].TimestampRaw;

        var version = Apply(r => TargetsDecisions.AdvanceViews(r, Test.Signers, Time, "prod")).TargetsVersion;

        Assert.Equal(before.TargetsVersion + 1, version);
        Assert.Equal(version, State.Tags["prod"].TargetsVersion);
        Assert.Equal(before.SnapshotVersion + 1, State.Tags["prod"].SnapshotVersion);
        Assert.NotEqual(timestampBefore, State.Tags["prod"].Views["wave-3"].TimestampRaw);
        Assert.Equal(["acme-1"], Served("prod").Targets.Keys);
        Assert.Equal(["acme-1", "acme-2"], Served("prod", "wave-3").Targets.Keys.Order());
        Assert.Equal("no tag nope", TargetsDecisions.AdvanceViews(Repository, Test.Signers, Time, "nope").Refusal);
    }

    [Fact]
    public void Bad_wave_requests_are_refused_by_name()
    {
        Assert.Equal("no recorded target has version 9",
            TargetsDecisions.OpenWave(Repository, Test.Signers, Time, new OpenWaveView("prod", "w", "9")).Refusal);
        Assert.Contains("is the production view",
            TargetsDecisions.OpenWave(Repository, Test.Signers, Time, new OpenWaveView("prod", TufRepository.ProductionView, "2")).Refusal);
        Assert.Equal("tag prod has no wave view \"w\"",
            TargetsDecisions.EndWave(Repository, Test.Signers, Time, "prod", "w", WaveViewEnd.Promote).Refusal);
        Apply(r => TargetsDecisions.OpenWave(r, Test.Signers, Time, new OpenWaveView("prod", "w", "2")));
        Assert.True(TargetsDecisions.OpenWave(Repository, Test.Signers, Time, new OpenWaveView("prod", "w", "2")).IsRefused);
    }
}
