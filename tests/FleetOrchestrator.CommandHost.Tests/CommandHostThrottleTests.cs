using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Pbm;
using FleetOrchestrator.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>
/// Failed operator tokens over the real TCP command host, on a clock the test moves: one address guessing is refused
/// without its tokens being looked at, while another address (127.0.0.2, also loopback on Linux) gets in.
/// </summary>
public sealed class CommandHostThrottleTests : IAsyncLifetime
{
    private readonly ManualTime _time = new(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));
    private IHost _app = null!;
    private IPEndPoint _endpoint = null!;

    public async Task InitializeAsync()
    {
        var settings = new CommandHostSettings("127.0.0.1", 0, OperatorTokens.Parse($"operator {OperatorTokens.Hash("right")} alice", "tokens"),
            TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), new TokenThrottleSettings(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), 100, TimeSpan.FromHours(1)));
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(_time);
        // Hellos only: no command runs, so the command host actor is a placeholder.
        builder.Services.AddAkka("throttle", (akka, _) => akka.WithActors((system, registry) =>
            registry.Register<CommandHostActor>(system.ActorOf(Props.Empty, "command-host"))));
        builder.Services.AddCommandHost(settings);
        _app = builder.Build();
        await _app.StartAsync();
        _endpoint = await _app.Services.GetRequiredService<CommandHostEndpoint>().Bound;
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        _app.Dispose();
    }

    /// <summary>The host's answer to a hello with <paramref name="token"/> from <paramref name="source"/>.</summary>
    private async Task<ServerFrame> HelloAsync(string token, string source = "127.0.0.1")
    {
        using var client = new TcpClient(new IPEndPoint(IPAddress.Parse(source), 0));
        await client.ConnectAsync(_endpoint);
        var codec = new FrameCodec(client.GetStream(), FrameCodec.MaxServerFrameBytes);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await codec.WriteAsync(new HelloFrame(FrameCodec.ProtocolVersion, token), timeout.Token);
        return (await codec.ReadAsync<ServerFrame>(timeout.Token))!;
    }

    [Fact]
    public async Task Twenty_wrong_tokens_from_one_address_are_throttled_and_another_address_gets_in()
    {
        var answers = new List<ServerFrame>();
        for (var i = 0; i < 20; i++) answers.Add(await HelloAsync($"guess-{i}"));
        var rightFromGuesser = await HelloAsync("right");
        var rightFromOther = await HelloAsync("right", source: "127.0.0.2");

        var until = "2026-05-01T12:00:01Z";
        Assert.Equal(new EndFrame(ExitCodes.Forbidden, ErrorCodes.Unauthorized, "the operator token is not known to this host"), answers[0]);
        Assert.All(answers.Skip(1), a => Assert.Equal(new EndFrame(ExitCodes.Forbidden, ErrorCodes.Throttled,
            $"too many failed operator tokens from 127.0.0.1; try again after {until}"), a));
        Assert.Equal(ErrorCodes.Throttled, Assert.IsType<EndFrame>(rightFromGuesser).Error); // not even a right token, during the window
        Assert.Equal(OperatorRole.Operator, Assert.IsType<WelcomeFrame>(rightFromOther).Role);

        // Once the window has passed, the next wrong token doubles it; a right one gets in and resets the count.
        _time.Now = _time.Now.AddSeconds(1);
        var secondFailure = await HelloAsync("guess-again");
        var throttledLonger = await HelloAsync("right");
        _time.Now = _time.Now.AddSeconds(2);
        await using var pbm = await PbmConnection.ConnectAsync("127.0.0.1", _endpoint.Port, "right", CancellationToken.None);
        var firstAfterReset = await HelloAsync("guess");
        var throttledShort = await HelloAsync("guess");

        Assert.Equal(ErrorCodes.Unauthorized, Assert.IsType<EndFrame>(secondFailure).Error);
        Assert.Equal("too many failed operator tokens from 127.0.0.1; try again after 2026-05-01T12:00:03Z", Assert.IsType<EndFrame>(throttledLonger).Message);
        Assert.Equal(OperatorRole.Operator, pbm.Welcome.Role);
        Assert.Equal(ErrorCodes.Unauthorized, Assert.IsType<EndFrame>(firstAfterReset).Error);
        Assert.Equal("too many failed operator tokens from 127.0.0.1; try again after 2026-05-01T12:00:04Z", Assert.IsType<EndFrame>(throttledShort).Message);
    }
}
