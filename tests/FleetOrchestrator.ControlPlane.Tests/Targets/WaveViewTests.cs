using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Targets;

/// <summary>The views waves use: open (production + the wave's target), promote into production, close.</summary>
public class WaveViewTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly ManualTime _time = new(Start);
    private readonly TestRepository _test;
    private RepositoryState _state;

    public WaveViewTests()
    {
        _test = new TestRepository(time: _time);
        _state = TargetsState.Initial(_test.Root);
        // CI publishes for "main"; "prod" devices get targets only through waves (acme-1 went there at first).
        Apply(r => TargetsState.Record(r, _test.Signers, _time, TestRepository.Target("acme-1", "one", "main", "prod")));
        Apply(r => TargetsState.Record(r, _test.Signers, _time, TestRepository.Target("acme-2", "two", "main")));
    }

    private TufRepository Repository => TufRepository.Load(_state, _test.Signers, _test.Repository.Options, _time);

    private void Apply(Func<TufRepository, IReadOnlyList<TagSigned>> change) => _state = change(Repository).Aggregate(_state, TargetsState.Apply);

    private IReadOnlyDictionary<string, Tuf.Metadata.TargetFile> Targets(string view) =>
        TestRepository.VerifiedTargets(_test.Root, TargetsState.MetadataOf(_state, revision: 1).Views.Single(v => v.Tag == "prod" && v.View == view)).Targets;

    [Fact]
    public void A_wave_view_adds_the_target_for_its_devices_and_promotion_moves_it_to_production()
    {
        var (opened, target) = TargetsState.OpenWave(Repository, _test.Signers, _time, new OpenWaveView("prod", "wave-1", "2"));
        Assert.Equal("acme-2", target);
        _state = opened.Aggregate(_state, TargetsState.Apply);

        Assert.Equal(["acme-1"], Targets(TufRepository.ProductionView).Keys);
        var wave = Targets("wave-1");
        Assert.Equal(["acme-1", "acme-2"], wave.Keys.Order());
        // The wave's target now names the prod tag, so prod devices' target selection takes it.
        Assert.Equal(["main", "prod"], wave["acme-2"].Custom!["tags"]!.AsArray().Select(t => (string)t!));
        var prod = _state.Tags["prod"];
        Assert.Equal(2, prod.TargetsVersion); // both views signed at the same, higher version

        var (promoted, _) = TargetsState.EndWave(Repository, _test.Signers, _time, "prod", "wave-1", promote: true);
        _state = promoted.Aggregate(_state, TargetsState.Apply);
        Assert.Equal(["acme-1", "acme-2"], Targets(TufRepository.ProductionView).Keys.Order());
        Assert.DoesNotContain("wave-1", _state.Tags["prod"].Views.Keys);
        Assert.Equal(3, _state.Tags["prod"].TargetsVersion);
    }

    [Fact]
    public void Closing_a_wave_leaves_production_as_it_was()
    {
        Apply(r => TargetsState.OpenWave(r, _test.Signers, _time, new OpenWaveView("prod", "wave-2", "2")).Events);
        Apply(r => TargetsState.EndWave(r, _test.Signers, _time, "prod", "wave-2", promote: false).Events);
        Assert.Equal(["acme-1"], Targets(TufRepository.ProductionView).Keys);
        Assert.Equal([TufRepository.ProductionView], _state.Tags["prod"].Views.Keys);
    }

    [Fact]
    public void Bad_wave_requests_are_refused_by_name()
    {
        Assert.Equal("no recorded target has version 9",
            Assert.Throws<TargetRejectedException>(() => TargetsState.OpenWave(Repository, _test.Signers, _time, new OpenWaveView("prod", "w", "9"))).Message);
        Assert.Contains("is the production view",
            Assert.Throws<TargetRejectedException>(() => TargetsState.OpenWave(Repository, _test.Signers, _time, new OpenWaveView("prod", TufRepository.ProductionView, "2"))).Message);
        Assert.Equal("tag prod has no wave view \"w\"",
            Assert.Throws<TargetRejectedException>(() => TargetsState.EndWave(Repository, _test.Signers, _time, "prod", "w", promote: true)).Message);
        Apply(r => TargetsState.OpenWave(r, _test.Signers, _time, new OpenWaveView("prod", "w", "2")).Events);
        Assert.Throws<RepositoryException>(() => TargetsState.OpenWave(Repository, _test.Signers, _time, new OpenWaveView("prod", "w", "2")));
    }
}
