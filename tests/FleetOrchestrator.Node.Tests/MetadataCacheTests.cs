using System.Text;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Node.Gateway;

namespace FleetOrchestrator.Node.Tests;

public sealed class MetadataCacheTests
{
    private static RepositoryMetadata Metadata(long revision, int targetsVersion) =>
        new(revision, [Encoding.UTF8.GetBytes("{\"root\":1}")],
            [new ViewMetadata("main", "production", Encoding.UTF8.GetBytes($"{{\"ts\":{targetsVersion}}}"), targetsVersion,
                Encoding.UTF8.GetBytes("{}"), targetsVersion, Encoding.UTF8.GetBytes($"{{\"t\":{targetsVersion}}}"), new Dictionary<string, byte[]>())]);

    [Fact]
    public void An_older_revision_arriving_after_a_newer_one_is_ignored()
    {
        var cache = new MetadataCache();

        Assert.True(cache.Update(Metadata(revision: 5, targetsVersion: 2)));
        Assert.False(cache.Update(Metadata(revision: 3, targetsVersion: 1)));

        Assert.NotNull(cache.File("main", "production", "2.targets.json"));
        Assert.Null(cache.File("main", "production", "1.targets.json"));
        Assert.Equal("{\"ts\":2}", Encoding.UTF8.GetString(cache.File("main", "production", "timestamp.json")!.Content));
    }

    [Fact]
    public void The_same_or_a_newer_revision_replaces_what_is_served()
    {
        var cache = new MetadataCache();
        cache.Update(Metadata(revision: 3, targetsVersion: 1));

        Assert.True(cache.Update(Metadata(revision: 3, targetsVersion: 1)));
        Assert.True(cache.Update(Metadata(revision: 4, targetsVersion: 2)));

        Assert.NotNull(cache.File("main", "production", "2.targets.json"));
        Assert.Null(cache.File("main", "production", "1.targets.json"));
    }

    [Fact]
    public void A_view_is_known_by_tag_and_name()
    {
        var cache = new MetadataCache();
        Assert.False(cache.HasView("main", "production")); // nothing loaded yet

        cache.Update(Metadata(revision: 1, targetsVersion: 1));

        Assert.True(cache.HasView("main", "production"));
        Assert.False(cache.HasView("main", "wave-1"));
        Assert.False(cache.HasView("prod", "production"));
    }
}
