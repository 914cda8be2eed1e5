using System.Text.Json;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Pbm;

namespace FleetOrchestrator.CommandHost.Tests;

public sealed class PbmClientTests
{
    [Theory]
    [InlineData("127.0.0.1:9110", "127.0.0.1", 9110)]
    [InlineData("node-a:1", "node-a", 1)]
    [InlineData("[::1]:9110", "::1", 9110)]
    public void Endpoints_are_host_and_port(string text, string host, int port)
    {
        Assert.True(PbmCommand.TryParseEndpoint(text, out var h, out var p));
        Assert.Equal((host, port), (h, p));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData(":9110")]
    [InlineData("host:0")]
    [InlineData("host:70000")]
    [InlineData("host:x")]
    public void Anything_else_is_not_an_endpoint(string text) => Assert.False(PbmCommand.TryParseEndpoint(text, out _, out _));

    [Fact]
    public void Json_output_turns_table_rows_into_objects_and_keeps_other_frames()
    {
        var output = new StringWriter();
        var renderer = new JsonRenderer(output);

        renderer.Render(new TableFrame(["device", "group"], [["d1", null], ["d2", "g"]]));
        renderer.Render(new EndFrame(4, ErrorCodes.NotImplemented, "waves list is not implemented yet"));

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("{\"type\":\"table\",\"rows\":[{\"device\":\"d1\",\"group\":null},{\"device\":\"d2\",\"group\":\"g\"}]}", lines[0]);
        Assert.Equal(4, JsonDocument.Parse(lines[1]).RootElement.GetProperty("exitCode").GetInt32());
        Assert.Equal("end", JsonDocument.Parse(lines[1]).RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public void Progress_shows_a_bar_when_countable_and_escapes_host_text()
    {
        Assert.Equal("[green]############[/][grey]------------[/] 5/10 [bold]push api[/] [[x]]",
            ConsoleRenderer.ProgressMarkup(new ProgressFrame("push api", "[x]", 5, 10)));
        Assert.Equal("[grey]>[/] [bold]build[/] step", ConsoleRenderer.ProgressMarkup(new ProgressFrame("build", "step")));
    }

    [Fact]
    public void Tab_completes_to_the_common_prefix() =>
        Assert.Equal(["cluster", ""], new[] { LineEditor.CommonPrefix(["cluster", "cluster-sharding"]), LineEditor.CommonPrefix([]) });

    [Fact]
    public void Help_lists_palettes_and_a_palettes_commands_with_their_roles()
    {
        var all = Help.Text(Palettes.PaletteCatalog.All, []);
        var cluster = Help.Text(Palettes.PaletteCatalog.All, ["cluster", "down"]);

        Assert.Contains("waves ", all);
        Assert.Equal("cluster down <address>\n    marks an unreachable member down (role admin)\n    <address>  the member's address\n", cluster.ReplaceLineEndings("\n"));
        Assert.StartsWith("no palette \"x\"; palettes: cluster,", Help.Text(Palettes.PaletteCatalog.All, ["x"]));
    }
}
