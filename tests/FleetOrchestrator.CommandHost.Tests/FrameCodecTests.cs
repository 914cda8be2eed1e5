using System.Text;
using System.Text.Json;
using FleetOrchestrator.CommandProtocol;

namespace FleetOrchestrator.CommandHost.Tests;

public sealed class FrameCodecTests
{
    private static async Task<T?> ReadOneAsync<T>(string text, int max = FrameCodec.MaxClientFrameBytes) where T : class =>
        await new FrameCodec(new MemoryStream(Encoding.UTF8.GetBytes(text)), max).ReadAsync<T>(CancellationToken.None);

    private static async Task<FrameException> RefusedAsync(string text, int max = FrameCodec.MaxClientFrameBytes) =>
        await Assert.ThrowsAsync<FrameException>(() => ReadOneAsync<ClientFrame>(text, max));

    [Fact]
    public async Task Every_frame_round_trips_with_its_type_first()
    {
        ServerFrame[] server =
        [
            new WelcomeFrame(1, "node-a", OperatorRole.Operator, [Palettes.PaletteCatalog.Devices]),
            new LineFrame("hello"),
            new TableFrame(["a", "b"], [["1", null]], "t"),
            new ProgressFrame("build api", "pushed", 3, 10),
            new ValueFrame(JsonSerializer.SerializeToElement(new { name = "acme-1" })),
            new EndFrame(2, ErrorCodes.Usage, "wrong"),
        ];
        var stream = new MemoryStream();
        var writer = new FrameCodec(stream, FrameCodec.MaxServerFrameBytes);
        foreach (var frame in server) await writer.WriteAsync(frame, CancellationToken.None);
        stream.Position = 0;
        var reader = new FrameCodec(stream, FrameCodec.MaxServerFrameBytes);

        var read = new List<ServerFrame>();
        while (await reader.ReadAsync<ServerFrame>(CancellationToken.None) is { } frame) read.Add(frame);

        Assert.Equal(server.Length, read.Count);
        Assert.StartsWith("{\"type\":\"welcome\"", Encoding.UTF8.GetString(FrameCodec.Encode(server[0])));
        Assert.Equal("{\"type\":\"end\",\"exitCode\":0}\n", Encoding.UTF8.GetString(FrameCodec.Encode(EndFrame.Ok)));
        Assert.Equal(((WelcomeFrame)server[0]) with { Palettes = [] }, ((WelcomeFrame)read[0]) with { Palettes = [] });
        Assert.Equal(Palettes.PaletteCatalog.Devices.Commands.Select(c => c.Usage()), ((WelcomeFrame)read[0]).Palettes[0].Commands.Select(c => c.Usage()));
        Assert.Equal(server[1..4].Cast<object>().Select(Describe), read[1..4].Cast<object>().Select(Describe));
        Assert.Equal("acme-1", ((ValueFrame)read[4]).Value.GetProperty("name").GetString());
        Assert.Equal(server[5], read[5]);
    }

    private static string Describe(object frame) => frame is TableFrame t
        ? $"table {t.Title} {string.Join(",", t.Columns)} {string.Join(";", t.Rows.Select(r => string.Join(",", r)))}"
        : frame.ToString()!;

    [Fact]
    public async Task A_request_reads_with_type_anywhere_and_blank_lines_are_skipped()
    {
        var frame = await ReadOneAsync<ClientFrame>("\r\n\n{\"palette\":\"devices\",\"command\":\"list\",\"arguments\":[\"--tag\",\"main\"],\"type\":\"request\"}\n");

        var request = Assert.IsType<RequestFrame>(frame);
        Assert.Equal(("devices", "list"), (request.Palette, request.Command));
        Assert.Equal(["--tag", "main"], request.Arguments);
    }

    [Theory]
    [InlineData("not json\n", "not a valid frame: ")]
    [InlineData("{\"type\":\"explode\"}\n", "not a valid frame: ")]
    [InlineData("{\"palette\":\"devices\"}\n", "not a valid frame: a frame needs a \"type\"")]
    [InlineData("{\"type\":\"request\",\"command\":\"list\",\"arguments\":[]}\n", "not a valid frame: ")]
    [InlineData("{\"type\":\"request\",\"palette\":\"d\",\"command\":\"list\",\"arguments\":[],\"extra\":1}\n", "not a valid frame: ")]
    [InlineData("{\"type\":\"request\",\"palette\":null,\"command\":\"list\",\"arguments\":[]}\n", "not a valid frame: ")]
    [InlineData("null\n", "a frame must be a JSON object, not null")]
    public async Task A_bad_frame_is_refused_as_bad_frame(string text, string message)
    {
        var refused = await RefusedAsync(text);

        Assert.Equal(ErrorCodes.BadFrame, refused.Code);
        Assert.StartsWith(message, refused.Message);
    }

    [Fact]
    public async Task The_errors_name_the_missing_or_unknown_member()
    {
        var missing = await RefusedAsync("{\"type\":\"request\",\"command\":\"list\",\"arguments\":[]}\n");
        var unknown = await RefusedAsync("{\"type\":\"request\",\"palette\":\"d\",\"command\":\"list\",\"arguments\":[],\"extra\":1}\n");

        Assert.Contains("palette", missing.Message);
        Assert.Contains("extra", unknown.Message);
    }

    [Fact]
    public async Task A_frame_over_the_limit_is_refused_without_reading_on()
    {
        var refused = await RefusedAsync("{\"type\":\"hello\",\"version\":1,\"client\":\"" + new string('x', 200) + "\"}\n", max: 100);

        Assert.Equal(ErrorCodes.FrameTooLarge, refused.Code);
        Assert.Equal("frame over the 100-byte limit (no newline within 100 bytes)", refused.Message);
    }

    [Fact]
    public async Task A_frame_exactly_at_the_limit_is_read()
    {
        var json = "{\"type\":\"hello\",\"version\":1,\"client\":\"\"}";
        var padded = json.Insert(json.Length - 2, new string('x', 100 - json.Length));

        var hello = Assert.IsType<HelloFrame>(await ReadOneAsync<ClientFrame>(padded + "\n", max: 100));

        Assert.Equal(100, Encoding.UTF8.GetByteCount(padded));
        Assert.Equal(100 - json.Length, hello.Client!.Length);
    }

    [Fact]
    public async Task A_stream_ending_inside_a_frame_is_refused_and_an_empty_stream_is_the_end()
    {
        var cut = await RefusedAsync("{\"type\":\"hello\"");

        Assert.Equal(ErrorCodes.BadFrame, cut.Code);
        Assert.StartsWith("the stream ended inside a frame (15 bytes without a newline)", cut.Message);
        Assert.Null(await ReadOneAsync<ClientFrame>(""));
    }

    [Fact]
    public async Task Writing_a_frame_over_the_limit_is_refused()
    {
        var codec = new FrameCodec(new MemoryStream(), 64);

        var refused = await Assert.ThrowsAsync<FrameException>(() => codec.WriteAsync(new LineFrame(new string('x', 100)), CancellationToken.None));

        Assert.Equal(ErrorCodes.FrameTooLarge, refused.Code);
    }
}
