using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Targets;

/// <summary><c>targets tag</c> and <c>targets prune</c> as pure decisions on the repository state.</summary>
public class TargetTagsTests : RepositoryScenario
{
    private TargetTagsChanged Tag(string version, params string[] tags) =>
        Apply(r => TargetsDecisions.Tag(r, Test.Signers, Time, new TagTargets(version, tags)));

    private TargetTagsChanged Prune(string version, string tag) =>
        Apply(r => TargetsDecisions.Prune(r, Test.Signers, Time, new PruneTargets(version, tag)));

    private static string[] TagsOf(TargetFile file) => file.Custom!["tags"]!.AsArray().Select(t => (string)t!).ToArray();

    [Fact]
    public void Tag_adds_the_same_target_to_each_new_tag_and_lists_every_tag_in_custom_tags()
    {
        var changed = Tag("2", "beta", "qa");

        Assert.Equal(["acme-2"], changed.Targets);
        Assert.Equal(["beta", "qa"], changed.Tags);
        // main is re-signed too: its copy now names the new tags.
        Assert.Equal(new Dictionary<string, int> { ["beta"] = 1, ["main"] = 3, ["qa"] = 1 }, changed.TargetsVersionByTag);
        var main = Served("main").Targets;
        foreach (var tag in new[] { "beta", "qa" })
        {
            var file = Assert.Single(Served(tag).Targets);
            Assert.Equal("acme-2", file.Key);
            Assert.Equal(main["acme-2"].Hashes, file.Value.Hashes);
            Assert.Equal(main["acme-2"].Length, file.Value.Length);
            Assert.Equal(["main", "beta", "qa"], TagsOf(file.Value));
            Assert.Equal("2", (string)file.Value.Custom!["version"]!);
            Assert.Equal(["generic"], file.Value.Custom["hardwareIds"]!.AsArray().Select(h => (string)h!));
        }
        Assert.Equal(["main", "beta", "qa"], TagsOf(main["acme-2"]));
        Assert.Equal(["main", "prod"], TagsOf(main["acme-1"]));
        Assert.Equal("two"u8.ToArray(), TargetsDecisions.MetadataOf(State, revision: 1).Views.Single(v => v.Tag == "beta").TargetFiles["acme-2"]);
    }

    [Fact]
    public void Tagging_a_tag_that_has_the_target_changes_nothing()
    {
        Tag("2", "beta");
        var before = State;

        var again = TargetsDecisions.Tag(Repository, Test.Signers, Time, new TagTargets("2", ["beta", "main", "beta"]));

        Assert.Empty(again.Events);
        Assert.Empty(again.Answer!.Tags);
        Assert.Same(before, State);
    }

    [Fact]
    public void Tag_refusals_name_the_problem_and_change_nothing()
    {
        Apply(r => TargetsDecisions.Record(r, Test.Signers, Time, TestRepository.Target("acme-2", "other bytes", "beta")));
        var repository = Repository;
        var before = repository.State;

        Assert.Equal("no recorded target has version 9",
            TargetsDecisions.Tag(repository, Test.Signers, Time, new TagTargets("9", ["beta"])).Refusal);
        Assert.StartsWith("tag beta already has a different target \"acme-2\" (sha256 ",
            TargetsDecisions.Tag(repository, Test.Signers, Time, new TagTargets("2", ["qa", "beta"])).Refusal);
        Assert.StartsWith("invalid tag name \"bad tag\"",
            TargetsDecisions.Tag(repository, Test.Signers, Time, new TagTargets("2", ["bad tag"])).Refusal);
        Assert.Equal("give 1..16 tags, not 0",
            TargetsDecisions.Tag(repository, Test.Signers, Time, new TagTargets("2", [])).Refusal);
        Assert.Equal("target acme-1 would be in 17 tags; at most 16",
            TargetsDecisions.Tag(repository, Test.Signers, Time,
                new TagTargets("1", [.. Enumerable.Range(1, 15).Select(i => $"t{i}")])).Refusal);
        Assert.Same(before, repository.State);
        Assert.DoesNotContain("qa", State.Tags.Keys);
    }

    [Fact]
    public void Prune_removes_the_target_from_the_tag_and_from_custom_tags_elsewhere()
    {
        Tag("2", "beta");

        var changed = Prune("2", "beta");

        Assert.Equal(["acme-2"], changed.Targets);
        Assert.Equal(["beta"], changed.Tags);
        Assert.Equal(new Dictionary<string, int> { ["beta"] = 2, ["main"] = 4 }, changed.TargetsVersionByTag);
        // The tag's last target may go: its devices keep what they run (they never downgrade).
        Assert.Empty(Served("beta").Targets);
        Assert.Equal(2, Served("beta").Version);
        Assert.Equal(["main"], TagsOf(Served("main").Targets["acme-2"]));
        Assert.Equal(["acme-1", "acme-2"], Served("main").Targets.Keys.Order());
    }

    [Fact]
    public void Prune_refusals_name_the_problem_and_change_nothing()
    {
        Apply(r => TargetsDecisions.OpenWave(r, Test.Signers, Time, new OpenWaveView("prod", "wave-1", "2")));
        var repository = Repository;
        var before = repository.State;

        string? Refusal(string version, string tag) =>
            TargetsDecisions.Prune(repository, Test.Signers, Time, new PruneTargets(version, tag)).Refusal;

        Assert.Equal("no tag \"nope\"; tags: [main, prod]", Refusal("2", "nope"));
        Assert.Equal("tag main has no target with version 9; its versions: [1, 2]", Refusal("9", "main"));
        // The wave rolls acme-2 out to prod; acme-1 is in the wave's view as production was when it opened.
        Assert.Equal("wave wave-1 of tag prod lists acme-2 (version 2); complete, cancel or abort the wave first", Refusal("2", "prod"));
        Assert.Equal("wave wave-1 of tag prod lists acme-1 (version 1); complete, cancel or abort the wave first", Refusal("1", "prod"));
        Assert.Same(before, repository.State);
    }

    [Fact]
    public void Tag_and_prune_keep_every_view_of_the_tag_in_lockstep()
    {
        Apply(r => TargetsDecisions.OpenWave(r, Test.Signers, Time, new OpenWaveView("prod", "wave-1", "2")));
        Apply(r => TargetsDecisions.Record(r, Test.Signers, Time, TestRepository.Target("acme-3", "three", "main")));

        Tag("3", "prod");
        Assert.Equal(["acme-1", "acme-3"], Served("prod").Targets.Keys.Order());
        Prune("3", "prod");

        var prod = State.Tags["prod"];
        Assert.Equal(4, prod.TargetsVersion);
        Assert.Equal(["acme-1"], Served("prod").Targets.Keys);
        Assert.Equal(4, Served("prod").Version);
        // The wave's view keeps what it was opened with, re-signed at the same versions as production.
        Assert.Equal(["acme-1", "acme-2"], Served("prod", "wave-1").Targets.Keys.Order());
        Assert.Equal(4, Served("prod", "wave-1").Version);
    }

    [Fact]
    public void A_target_tagged_after_a_prune_comes_back_with_the_same_content()
    {
        Prune("1", "main");
        Assert.Equal(["prod"], TagsOf(Served("prod").Targets["acme-1"]));

        var changed = Tag("1", "main");

        Assert.Equal(["main"], changed.Tags);
        Assert.Equal(["prod", "main"], TagsOf(Served("main").Targets["acme-1"]));
        Assert.Equal(Hashes.Compute("one"u8)[Hashes.Sha256], Served("main").Targets["acme-1"].Hashes[Hashes.Sha256]);
    }
}
