using System.Text.Json.Nodes;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Targets;

public class TargetsDecisionsTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static (TestRepository Test, RepositoryState State) Recorded(ManualTime time, params RecordTarget[] commands)
    {
        var test = new TestRepository(time: time);
        var state = TargetsDecisions.Initial(test.Root);
        foreach (var command in commands)
        {
            var repository = TufRepository.Load(state, test.Signers, test.Repository.Options, time);
            state = TargetsDecisions.Record(repository, test.Signers, time, command).Events.Aggregate(state, TargetsDecisions.Apply);
        }
        return (test, state);
    }

    private static string? Refusal(RecordTarget command)
    {
        var time = new ManualTime(Start);
        var test = new TestRepository(time: time);
        return TargetsDecisions.Record(test.Repository, test.Signers, time, command).Refusal;
    }

    [Fact]
    public void Record_signs_each_tag_listed_and_metadata_verifies_against_root()
    {
        var time = new ManualTime(Start);
        var (test, state) = Recorded(time, TestRepository.Target("acme-1", "{\"a\":1}", "main", "beta"));

        var metadata = TargetsDecisions.MetadataOf(state, revision: 1);

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

        var view = Assert.Single(TargetsDecisions.MetadataOf(state, revision: 1).Views);
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

        var again = TargetsDecisions.Record(repository, test.Signers, time, TestRepository.Target("acme-1", "one", "main"));
        Assert.Empty(again.Events);
        Assert.Equal(new Dictionary<string, int> { ["main"] = 1 }, again.Answer!.TargetsVersionByTag);
        Assert.Contains("different content", TargetsDecisions.Record(repository, test.Signers, time, TestRepository.Target("acme-1", "other", "main")).Refusal);
        Assert.Same(state, repository.State);
    }

    [Theory]
    [InlineData("[]", "custom.tags must be an array of 1..16 strings, found []")]
    [InlineData("[1]", "found [1]")]
    [InlineData("[\"main\",\"main\"]", "lists a tag twice: [main, main]")]
    public void Bad_tags_are_refused_with_what_was_seen(string tags, string expected)
    {
        var command = TestRepository.Target("acme-1", "x") with { Custom = new JsonObject { ["tags"] = JsonNode.Parse(tags) } };
        Assert.Contains(expected, Refusal(command));
    }

    [Fact]
    public void Oversized_file_is_refused()
    {
        var command = TestRepository.Target("acme-1", "x", "main") with { File = new byte[TargetsDecisions.MaxTargetFileBytes + 1] };
        Assert.Contains($"{TargetsDecisions.MaxTargetFileBytes + 1} bytes", Refusal(command));
    }

    [Fact]
    public void Invalid_tag_name_from_the_repository_leaves_state_unchanged()
    {
        var time = new ManualTime(Start);
        var (test, state) = Recorded(time, TestRepository.Target("acme-1", "one", "main"));
        var repository = TufRepository.Load(state, test.Signers, test.Repository.Options, time);

        Assert.StartsWith("invalid tag name \"bad tag\"", TargetsDecisions.Record(repository, test.Signers, time, TestRepository.Target("acme-2", "two", "main", "bad tag")).Refusal);
        Assert.Same(state, repository.State);
    }

    [Fact]
    public void Timestamp_is_resigned_only_after_half_its_lifetime()
    {
        var time = new ManualTime(Start);
        var options = new RepositoryOptions { TimestampLifetime = TimeSpan.FromDays(7) };
        var test = new TestRepository(options, time);
        var state = TargetsDecisions.Initial(test.Root);
        var repository = TufRepository.Load(state, test.Signers, options, time);
        state = TargetsDecisions.Record(repository, test.Signers, time, TestRepository.Target("acme-1", "one", "main")).Events.Aggregate(state, TargetsDecisions.Apply);

        time.Now = Start + TimeSpan.FromDays(3);
        Assert.Empty(TargetsDecisions.RefreshExpiring(TufRepository.Load(state, test.Signers, options, time), test.Signers, time));

        time.Now = Start + TimeSpan.FromDays(3.6);
        var refreshed = Assert.Single(TargetsDecisions.RefreshExpiring(TufRepository.Load(state, test.Signers, options, time), test.Signers, time));
        state = TargetsDecisions.Apply(state, refreshed);
        var view = Assert.Single(TargetsDecisions.MetadataOf(state, revision: 1).Views);
        var timestamp = SignedMetadata<TimestampMetadata>.Parse(view.Timestamp).Signed;
        Assert.Equal(2, timestamp.Version);
        Assert.Equal(time.Now.AddDays(7), timestamp.Expires);
        Assert.Equal(1, view.TargetsVersion);
        TestRepository.VerifiedTargets(test.Root, view);
    }
}
