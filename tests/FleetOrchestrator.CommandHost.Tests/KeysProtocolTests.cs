using System.Text.Json;
using FleetOrchestrator.CommandHost.Palettes;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Pbm;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>The keys palette's grammar and the signing requests it exchanges with pbm.</summary>
public sealed class KeysProtocolTests
{
    private static CommandInvocation Parse(string command, params string[] arguments) => CommandParser.Parse(PaletteCatalog.All, "keys", command, arguments);

    [Fact]
    public void Keys_commands_parse_their_key_files_roles_and_signatures()
    {
        var rotate = Parse("rotate-root", "--key", "root.pem", "--new-key=root-2.pem");
        var online = Parse("rotate-online", "timestamp", "--key", "root.pem");
        var submit = Parse("submit", "root/2", "--signature", "ab:01", "--signature", "cd:02");
        var prepare = Parse("prepare-root", "--root-key", "{}", "--root-key", "{}");
        var pending = Parse("pending", "--payloads");

        Assert.Equal(("root.pem", "root-2.pem"), (rotate.String("key"), rotate.String("new-key")));
        Assert.Equal(("timestamp", "root.pem"), (online.Argument("role"), online.String("key")));
        Assert.Equal("root/2", submit.Argument("request"));
        Assert.Equal(["ab:01", "cd:02"], submit.All("signature"));
        Assert.Equal(2, prepare.All("root-key").Count);
        Assert.True(pending.Flag("payloads"));
        Assert.Equal(OperatorRole.Admin, PaletteCatalog.Keys.Command("rotate-root")!.Role);
        Assert.Equal(OperatorRole.Viewer, PaletteCatalog.Keys.Command("pending")!.Role);
    }

    [Theory]
    [InlineData("submit", new[] { "root/2" }, "missing --signature (<keyid>:<hex signature>)")]
    [InlineData("rotate-online", new string[0], "missing <role> (snapshot, timestamp or targets)")]
    [InlineData("sign-wave", new[] { "--key", "t.pem" }, "missing <wave> (wave name)")]
    [InlineData("rotate-root", new[] { "--key" }, "--key needs a value (string)")]
    public void Incomplete_keys_commands_are_refused_with_their_usage(string command, string[] arguments, string expected)
    {
        var e = Assert.Throws<CommandUsageException>(() => Parse(command, arguments));
        Assert.StartsWith(expected, e.Message);
        Assert.Contains($"usage: keys {command}", e.Message);
    }

    [Fact]
    public void A_signing_request_travels_as_a_value_and_other_values_are_not_one()
    {
        var request = new SigningRequestValue("targets/main/w1/3", "targets", 3, Convert.ToBase64String([1, 2]), ["ab"], [], "needs 0/1", "main", "w1");

        var frame = JsonSerializer.Deserialize<ServerFrame>(JsonSerializer.Serialize<ServerFrame>(new ValueFrame(request.ToJson()), FrameCodec.Json), FrameCodec.Json);
        var back = SigningRequestValue.From(Assert.IsType<ValueFrame>(frame).Value)!;

        Assert.Equal((request.Id, request.Role, request.Version, request.Payload, request.Tag, request.View), (back.Id, back.Role, back.Version, back.Payload, back.Tag, back.View));
        Assert.Equal(["ab"], back.KeyIds);
        Assert.Null(SigningRequestValue.From(JsonSerializer.SerializeToElement(new { name = "acme-1" })));
    }

    [Theory]
    [InlineData("rotate-root", true)]
    [InlineData("rotate-online", true)]
    [InlineData("sign-wave", true)]
    [InlineData("sign-targets", true)]
    [InlineData("pending", false)]
    [InlineData("submit", false)]
    public void Pbm_signs_locally_for_the_commands_that_take_key_files(string command, bool local)
    {
        Assert.Equal(local, OfflineKeys.Handles("keys", command));
        Assert.Equal(local, PaletteCatalog.Keys.Command(command)!.Switches.Any(s => PaletteCatalog.KeyFileSwitches.Contains(s.Name)));
        Assert.False(OfflineKeys.Handles("targets", command));
    }
}
