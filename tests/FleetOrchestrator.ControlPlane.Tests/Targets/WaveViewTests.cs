using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Targets;

/// <summary>The views waves use: open (production + the wave's target), promote into production, close.</summary>
public class WaveViewTests : RepositoryScenario
{
    [Fact]
    public void A_wave_view_adds_the_target_for_its_devices_and_promotion_moves_it_to_production()
    {
        var (opened, target) = TargetsState.OpenWave(Repository, Test.Signers, Time, new OpenWaveView("prod", "wave-1", "2"));
        Assert.Equal("acme-2", target);
        State = opened.Aggregate(State, TargetsState.Apply);

        Assert.Equal(["acme-1"], Served("prod").Targets.Keys);
        var wave = Served("prod", "wave-1").Targets;
        Assert.Equal(["acme-1", "acme-2"], wave.Keys.Order());
        // The wave's target now names the prod tag, so prod devices' target selection takes it.
        Assert.Equal(["main", "prod"], wave["acme-2"].Custom!["tags"]!.AsArray().Select(t => (string)t!));
        var prod = State.Tags["prod"];
        Assert.Equal(2, prod.TargetsVersion); // both views signed at the same, higher version

        var (promoted, _) = TargetsState.EndWave(Repository, Test.Signers, Time, "prod", "wave-1", promote: true);
        State = promoted.Aggregate(State, TargetsState.Apply);
        Assert.Equal(["acme-1", "acme-2"], Served("prod").Targets.Keys.Order());
        Assert.DoesNotContain("wave-1", State.Tags["prod"].Views.Keys);
        Assert.Equal(3, State.Tags["prod"].TargetsVersion);
    }

    [Fact]
    public void Closing_a_wave_leaves_production_as_it_was()
    {
        Apply(r => TargetsState.OpenWave(r, Test.Signers, Time, new OpenWaveView("prod", "wave-2", "2")).Events);
        Apply(r => TargetsState.EndWave(r, Test.Signers, Time, "prod", "wave-2", promote: false).Events);
        Assert.Equal(["acme-1"], Served("prod").Targets.Keys);
        Assert.Equal([TufRepository.ProductionView], State.Tags["prod"].Views.Keys);
    }

    [Fact]
    public void Advancing_a_tags_views_signs_every_view_again_one_version_up_with_the_same_targets()
    {
        Apply(r => TargetsState.OpenWave(r, Test.Signers, Time, new OpenWaveView("prod", "wave-3", "2")).Events);
        var before = State.Tags["prod"];
        var timestampBefore = State.Tags["prod"].Views["wave-3"].TimestampRaw;

        var (events, version) = TargetsState.AdvanceViews(Repository, Test.Signers, Time, "prod");
        State = events.Aggregate(State, TargetsState.Apply);

        Assert.Equal(before.TargetsVersion + 1, version);
        Assert.Equal(version, State.Tags["prod"].TargetsVersion);
        Assert.Equal(before.SnapshotVersion + 1, State.Tags["prod"].SnapshotVersion);
        Assert.NotEqual(timestampBefore, State.Tags["prod"].Views["wave-3"].TimestampRaw);
        Assert.Equal(["acme-1"], Served("prod").Targets.Keys);
        Assert.Equal(["acme-1", "acme-2"], Served("prod", "wave-3").Targets.Keys.Order());
        Assert.Equal("no tag nope", Assert.Throws<TargetRejectedException>(() => TargetsState.AdvanceViews(Repository, Test.Signers, Time, "nope")).Message);
    }

    [Fact]
    public void Bad_wave_requests_are_refused_by_name()
    {
        Assert.Equal("no recorded target has version 9",
            Assert.Throws<TargetRejectedException>(() => TargetsState.OpenWave(Repository, Test.Signers, Time, new OpenWaveView("prod", "w", "9"))).Message);
        Assert.Contains("is the production view",
            Assert.Throws<TargetRejectedException>(() => TargetsState.OpenWave(Repository, Test.Signers, Time, new OpenWaveView("prod", TufRepository.ProductionView, "2"))).Message);
        Assert.Equal("tag prod has no wave view \"w\"",
            Assert.Throws<TargetRejectedException>(() => TargetsState.EndWave(Repository, Test.Signers, Time, "prod", "w", promote: true)).Message);
        Apply(r => TargetsState.OpenWave(r, Test.Signers, Time, new OpenWaveView("prod", "w", "2")).Events);
        Assert.Throws<RepositoryException>(() => TargetsState.OpenWave(Repository, Test.Signers, Time, new OpenWaveView("prod", "w", "2")));
    }
}
