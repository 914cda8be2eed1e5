using FleetOrchestrator.CommandHost.Palettes;
using FleetOrchestrator.CommandProtocol;

namespace FleetOrchestrator.CommandHost.Tests;

public sealed class CommandParserTests
{
    private static CommandInvocation Parse(string palette, string command, params string[] arguments) =>
        CommandParser.Parse(PaletteCatalog.All, palette, command, arguments);

    private static CommandUsageException Refused(string palette, string command, params string[] arguments) =>
        Assert.Throws<CommandUsageException>(() => Parse(palette, command, arguments));

    [Fact]
    public void Switches_and_positionals_are_read_by_name()
    {
        var list = Parse("devices", "list", "--tag", "main", "--status=installed", "--offline", "--limit", "20");
        var updates = Parse("devices", "updates", "dev-1", "7-0b1c");

        Assert.Equal(("main", "installed", true, 20L, (string?)null), (list.String("tag"), list.String("status"), list.Flag("offline"), list.Integer("limit"), list.String("group")));
        Assert.Equal(("dev-1", "7-0b1c"), (updates.Argument("device"), updates.Argument("correlation")));
    }

    [Fact]
    public void A_repeatable_switch_keeps_every_value_in_order()
    {
        var publish = Parse("apps", "publish", "--repo", "/r", "--hardware-id", "rpi4", "--hardware-id", "x86");

        Assert.Equal(["rpi4", "x86"], publish.All("hardware-id"));
        Assert.Empty(publish.All("tag"));
    }

    [Fact]
    public void Unknown_palette_and_command_name_what_exists()
    {
        var palette = Refused("nope", "list");
        var command = Refused("devices", "explode");

        Assert.Equal((ErrorCodes.UnknownPalette, "no palette \"nope\"; palettes: cluster, cluster-sharding, actor, apps, targets, devices, groups, waves, keys, audit"),
            (palette.Code, palette.Message));
        Assert.Equal((ErrorCodes.UnknownCommand, "palette devices has no command \"explode\"; commands: list, show, updates, apps-states, config, revoke, delete, registration-token"),
            (command.Code, command.Message));
    }

    [Theory]
    [InlineData("devices", "show", new string[0], "missing <device> (device name)")]
    [InlineData("apps", "publish", new[] { "--tag", "main" }, "missing --repo (checkout path or git URL reachable from the publisher node)")]
    [InlineData("devices", "list", new[] { "--colour", "red" }, "unknown switch --colour; switches: --tag, --group, --target, --status, --offline, --limit, --after")]
    [InlineData("cluster", "show", new[] { "--x" }, "unknown switch --x: show takes no switches")]
    [InlineData("cluster", "show", new[] { "extra" }, "unexpected argument \"extra\": show takes no positional arguments")]
    [InlineData("devices", "show", new[] { "a", "b" }, "unexpected argument \"b\": show takes 1 (device)")]
    [InlineData("devices", "list", new[] { "--limit", "ten" }, "--limit must be a whole number, not \"ten\"")]
    [InlineData("devices", "list", new[] { "--tag" }, "--tag needs a value (string)")]
    [InlineData("devices", "list", new[] { "--offline=yes" }, "--offline is a flag and takes no value")]
    [InlineData("devices", "list", new[] { "--tag", "a", "--tag", "b" }, "--tag given twice; it takes one value")]
    public void Bad_arguments_are_refused_with_what_is_wrong_and_the_usage(string palette, string command, string[] arguments, string message)
    {
        var refused = Refused(palette, command, arguments);

        Assert.Equal(ErrorCodes.Usage, refused.Code);
        var lines = refused.Message.Split('\n');
        Assert.Equal(message, lines[0]);
        Assert.StartsWith($"usage: {palette} {command}", lines[1]);
    }

    [Fact]
    public void Argument_counts_and_lengths_are_bounded()
    {
        var many = Refused("devices", "list", Enumerable.Repeat("--offline", CommandParser.MaxArguments + 1).ToArray());
        var longOne = Refused("devices", "show", new string('a', CommandParser.MaxArgumentLength + 1));

        Assert.StartsWith($"too many arguments ({CommandParser.MaxArguments + 1}; at most {CommandParser.MaxArguments})", many.Message);
        Assert.StartsWith($"argument 1 is longer than {CommandParser.MaxArgumentLength} characters", longOne.Message);
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("2h", 7200)]
    [InlineData("1d", 86400)]
    [InlineData("5", null)]
    [InlineData("-5m", null)]
    [InlineData("5w", null)]
    [InlineData("m", null)]
    public void Durations_have_a_unit(string text, int? seconds) =>
        Assert.Equal(seconds is null ? null : TimeSpan.FromSeconds(seconds.Value), CommandParser.ParseDuration(text));

    [Fact]
    public void Every_palette_command_has_a_help_text_and_unique_names()
    {
        foreach (var palette in PaletteCatalog.All)
        {
            Assert.Equal(palette.Commands.Count, palette.Commands.Select(c => c.Name).Distinct().Count());
            foreach (var command in palette.Commands)
            {
                Assert.False(string.IsNullOrWhiteSpace(command.Help), $"{palette.Name} {command.Name}");
                Assert.Equal(command.Switches.Count, command.Switches.Select(s => s.Name).Distinct().Count());
                // Required positionals first: an optional one before a required one could never be left out.
                Assert.True(command.Arguments.SkipWhile(a => a.Required).All(a => !a.Required), $"{palette.Name} {command.Name}");
                Assert.DoesNotContain(command.Switches, s => s.Name is "json" or "token" or "ca");
            }
        }
        Assert.Equal(PaletteCatalog.All.Count, PaletteCatalog.All.Select(p => p.Name).Distinct().Count());
    }
}
