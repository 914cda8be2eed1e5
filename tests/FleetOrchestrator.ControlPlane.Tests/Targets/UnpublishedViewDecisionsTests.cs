using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Targets;

/// <summary>The one empty chain served for every tag with nothing published: signed once, refreshed, and below every later tag.</summary>
public sealed class UnpublishedViewDecisionsTests
{
    private readonly ManualTime _time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));

    private RepositoryState SignedOnce(TestRepository test) =>
        TargetsDecisions.Apply(TargetsDecisions.Initial(test.Root), TargetsDecisions.SignUnpublished(test.Repository, test.Signers, _time).Single!);

    [Fact]
    public void It_is_signed_once_with_no_targets_and_verifies_against_root()
    {
        var test = new TestRepository(time: _time);
        var state = SignedOnce(test);

        var again = TargetsDecisions.SignUnpublished(TufRepository.Load(state, test.Signers, test.Repository.Options, _time), test.Signers, _time);

        Assert.Empty(again.Events);
        Assert.Null(again.Refusal);
        var metadata = TargetsDecisions.MetadataOf(state, revision: 1);
        Assert.Empty(metadata.Views);
        Assert.Equal(ViewMetadata.AnyTag, metadata.Unpublished!.Tag);
        Assert.Empty(TestRepository.VerifiedTargets(test.Root, metadata.Unpublished).Targets);
    }

    [Fact]
    public void Without_the_targets_key_it_is_refused_naming_the_missing_key()
    {
        var test = new TestRepository(time: _time);
        var targetsKey = test.Repository.Root.Signed.Roles[Role.Targets].KeyIds[0];
        var online = test.Signers.Where(s => s.KeyId != targetsKey).ToList();

        var refused = TargetsDecisions.SignUnpublished(TufRepository.Load(TargetsDecisions.Initial(test.Root), online, test.Repository.Options, _time), online, _time);

        Assert.StartsWith("tags with nothing published get no signed empty repository: targets: 0 of the 1 needed signing key(s) loaded", refused.Refusal);
        Assert.Empty(refused.Events);
    }

    [Fact]
    public void The_refresh_re_signs_it_and_a_tag_recorded_later_starts_above_it()
    {
        var test = new TestRepository(time: _time);
        var state = SignedOnce(test);
        _time.Now += TimeSpan.FromHours(13);

        var refreshed = Assert.Single(TargetsDecisions.RefreshExpiring(TufRepository.Load(state, test.Signers, test.Repository.Options, _time), test.Signers, _time));
        state = TargetsDecisions.Apply(state, refreshed);
        var recorded = TargetsDecisions.Record(TufRepository.Load(state, test.Signers, test.Repository.Options, _time), test.Signers, _time,
            TestRepository.Target("acme-1", "one", "devel"));

        Assert.Equal(2, ((UnpublishedViewSigned)refreshed).State.TimestampVersion);
        var tag = Assert.Single(recorded.Events).State;
        Assert.Equal((2, 2, 3), (tag.TargetsVersion, tag.SnapshotVersion, tag.TimestampVersion));
        Assert.Equal(2, recorded.Answer!.TargetsVersionByTag["devel"]);
    }
}
