using System.Text.Json.Nodes;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Targets;

public class TargetsStateTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static (TestRepository Test, RepositoryState State) Recorded(ManualTime time, params RecordTarget[] commands)
    {
        var test = new TestRepository(time: time);
        var state = TargetsState.Initial(test.Root);
        foreach (var command in commands)
        {
            var repository = TufRepository.Load(state, test.Signers, test.Repository.Options, time);
            state = TargetsState.Record(repository, test.Signers, time, command).Aggregate(state, TargetsState.Apply);
        }
        return (test, state);
    }

    [Fact]
    public void Record_signs_each_tag_listed_and_metadata_verifies_against_root()
    {
        var time = new ManualTime(Start);
        var (test, state) = Recorded(time, TestRepository.Target("acme-1", "{\"a\":1}", "main", "beta"));

        var metadata = TargetsState.MetadataOf(state, revision: 1);

        Assert.Equal(["main", "beta"], metadata.Views.Select(v => v.Tag).Order().Reverse());
        foreach (var view in metadata.Views)
        {
            Assert.Equal(TufRepository.ProductionView, view.View);
            var targets = TestRepository.VerifiedTargets(test.Root, view);
            var file = Assert.Single(targets.Targets);
            Assert.Equal("acme-1", file.Key);
            Assert.Equal(7, file.Value.Length);
            Assert.Equal("{\"a\":1}"u8.ToArray(), view.TargetFiles["acme-1"]);
            Assert.Equal(Hashes.Compute(view.TargetFiles["acme-1"])[Hashes.Sha256], file.Value.Hashes[Hashes.Sha256]);
        }
    }

    [Fact]
    public void Second_target_keeps_the_first_and_bumps_versions()
    {
        var time = new ManualTime(Start);
        var (test, state) = Recorded(time, TestRepository.Target("acme-1", "one", "main"), TestRepository.Target("acme-2", "two", "main"));

        var view = Assert.Single(TargetsState.MetadataOf(state, revision: 1).Views);
        var targets = TestRepository.VerifiedTargets(test.Root, view);
        Assert.Equal(["acme-1", "acme-2"], targets.Targets.Keys.Order());
        Assert.Equal(2, targets.Version);
        Assert.Equal(2, view.TargetsVersion);
    }

    [Fact]
    public void Same_target_again_changes_nothing_and_different_content_is_refused()
    {
        var time = new ManualTime(Start);
        var (test, state) = Recorded(time, TestRepository.Target("acme-1", "one", "main"));
        var repository = TufRepository.Load(state, test.Signers, test.Repository.Options, time);

        Assert.Empty(TargetsState.Record(repository, test.Signers, time, TestRepository.Target("acme-1", "one", "main")));
        var e = Assert.Throws<TargetRejectedException>(() => TargetsState.Record(repository, test.Signers, time, TestRepository.Target("acme-1", "other", "main")));
        Assert.Contains("different content", e.Message);
        Assert.Same(state, repository.State);
    }

    [Theory]
    [InlineData("[]", "custom.tags must be an array of 1..16 strings, found []")]
    [InlineData("[1]", "found [1]")]
    [InlineData("[\"main\",\"main\"]", "lists a tag twice: [main, main]")]
    public void Bad_tags_are_refused_with_what_was_seen(string tags, string expected)
    {
        var command = TestRepository.Target("acme-1", "x") with { Custom = new JsonObject { ["tags"] = JsonNode.Parse(tags) } };
        var e = Assert.Throws<TargetRejectedException>(() => TargetsState.TagsOf(command));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Oversized_file_is_refused()
    {
        var command = TestRepository.Target("acme-1", "x", "main") with { File = new byte[TargetsState.MaxTargetFileBytes + 1] };
        var e = Assert.Throws<TargetRejectedException>(() => TargetsState.TagsOf(command));
        Assert.Contains($"{TargetsState.MaxTargetFileBytes + 1} bytes", e.Message);
    }

    [Fact]
    public void Invalid_tag_name_from_the_repository_leaves_state_unchanged()
    {
        var time = new ManualTime(Start);
        var (test, state) = Recorded(time, TestRepository.Target("acme-1", "one", "main"));
        var repository = TufRepository.Load(state, test.Signers, test.Repository.Options, time);

        Assert.Throws<RepositoryException>(() => TargetsState.Record(repository, test.Signers, time, TestRepository.Target("acme-2", "two", "main", "bad tag")));
        Assert.Same(state, repository.State);
    }

    [Fact]
    public void Timestamp_is_resigned_only_after_half_its_lifetime()
    {
        var time = new ManualTime(Start);
        var options = new RepositoryOptions { TimestampLifetime = TimeSpan.FromDays(7) };
        var test = new TestRepository(options, time);
        var state = TargetsState.Initial(test.Root);
        var repository = TufRepository.Load(state, test.Signers, options, time);
        state = TargetsState.Record(repository, test.Signers, time, TestRepository.Target("acme-1", "one", "main")).Aggregate(state, TargetsState.Apply);

        time.Now = Start + TimeSpan.FromDays(3);
        Assert.Empty(TargetsState.RefreshExpiring(TufRepository.Load(state, test.Signers, options, time), test.Signers, time));

        time.Now = Start + TimeSpan.FromDays(3.6);
        var refreshed = Assert.Single(TargetsState.RefreshExpiring(TufRepository.Load(state, test.Signers, options, time), test.Signers, time));
        state = TargetsState.Apply(state, refreshed);
        var view = Assert.Single(TargetsState.MetadataOf(state, revision: 1).Views);
        var timestamp = SignedMetadata<TimestampMetadata>.Parse(view.Timestamp).Signed;
        Assert.Equal(2, timestamp.Version);
        Assert.Equal(time.Now.AddDays(7), timestamp.Expires);
        Assert.Equal(1, view.TargetsVersion);
        TestRepository.VerifiedTargets(test.Root, view);
    }
}
