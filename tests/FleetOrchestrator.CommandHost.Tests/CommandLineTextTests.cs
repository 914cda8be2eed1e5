using FleetOrchestrator.CommandHost.Palettes;
using FleetOrchestrator.CommandProtocol;

namespace FleetOrchestrator.CommandHost.Tests;

public sealed class CommandLineTextTests
{
    [Theory]
    [InlineData("devices list --tag main", new[] { "devices", "list", "--tag", "main" })]
    [InlineData("  apps publish --repo \"/a b/c\" --ref 'x y' ", new[] { "apps", "publish", "--repo", "/a b/c", "--ref", "x y" })]
    [InlineData("a\\ b \"\"", new[] { "a b", "" })]
    [InlineData("", new string[0])]
    public void Lines_split_on_whitespace_outside_quotes(string line, string[] words) =>
        Assert.Equal(words, CommandLineText.Split(line));

    [Fact]
    public void An_unclosed_quote_is_refused() =>
        Assert.Equal("unclosed \" quote", Assert.Throws<FormatException>(() => CommandLineText.Split("apps publish --repo \"/a")).Message);

    [Theory]
    [InlineData("", new[] { "cluster", "cluster-sharding", "actor", "apps", "targets", "devices", "groups", "waves", "keys", "audit", "help", "exit" })]
    [InlineData("clu", new[] { "cluster", "cluster-sharding" })]
    [InlineData("devices ", new[] { "list", "show", "updates", "apps-states", "config", "revoke", "delete", "registration-token" })]
    [InlineData("devices a", new[] { "apps-states" })]
    [InlineData("devices list --t", new[] { "--tag", "--target" })]
    [InlineData("devices list --tag main --t", new[] { "--target" })]
    [InlineData("apps publish --hardware-id x --h", new[] { "--hardware-id" })]
    [InlineData("help d", new[] { "devices" })]
    [InlineData("nope ", new string[0])]
    [InlineData("devices nope --", new string[0])]
    [InlineData("apps publish --repo \"/a", new string[0])]
    public void Completion_offers_what_the_host_implements(string line, string[] candidates) =>
        Assert.Equal(candidates, CommandLineText.Complete(PaletteCatalog.All, line));
}
