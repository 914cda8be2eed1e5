using System.Net;
using FleetOrchestrator.CommandHost;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.Pbm;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>A node with operator tokens: every session needs one, and each command its role.</summary>
public sealed class CommandHostTokenTests : IAsyncLifetime
{
    private readonly TempDirectory _tokens = new();
    private RunningNode _node = null!;
    private IPEndPoint _host = null!;

    public async Task InitializeAsync()
    {
        var file = _tokens.Combine("operator-tokens");
        await File.WriteAllTextAsync(file, $"viewer {OperatorTokens.Hash("viewer-token")}\noperator {OperatorTokens.Hash("operator-token")}\nadmin {OperatorTokens.Hash("admin-token")}\n");
        _node = await RunningNode.StartAsync(hocon: $"fleet.command-host.tokens-file = \"{file}\"");
        _host = await _node.CommandHostAsync();
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _tokens.Dispose();
    }

    [Theory]
    [InlineData(null, "this host requires an operator token (pbm --token or PBM_TOKEN)")]
    [InlineData("guessed-token", "the operator token is not known to this host")]
    public async Task A_session_without_a_known_token_is_refused(string? token, string message)
    {
        var refused = await Assert.ThrowsAsync<PbmException>(() => PbmConnection.ConnectAsync("127.0.0.1", _host.Port, token, CancellationToken.None));

        Assert.Equal(ExitCodes.Forbidden, refused.ExitCode);
        Assert.Equal($"127.0.0.1:{_host.Port} refused the session: {message}", refused.Message);
    }

    [Fact]
    public async Task Each_command_needs_its_role()
    {
        var viewerList = await PbmClient.RunAsync(_host, "devices", "list", [], "viewer-token");
        var viewerPublish = await PbmClient.RunAsync(_host, "apps", "publish", ["--repo", "/nowhere"], "viewer-token");
        var operatorDown = await PbmClient.RunAsync(_host, "cluster", "down", ["akka.tcp://fleet@127.0.0.1:1"], "operator-token");
        var adminDown = await PbmClient.RunAsync(_host, "cluster", "down", ["akka.tcp://fleet@127.0.0.1:1"], "admin-token");
        await using var viewer = await PbmConnection.ConnectAsync("127.0.0.1", _host.Port, "viewer-token", CancellationToken.None);

        Assert.Equal(ExitCodes.Ok, viewerList.End.ExitCode);
        Assert.Equal((ExitCodes.Forbidden, ErrorCodes.Forbidden, "apps publish needs the operator role; this session has viewer"),
            (viewerPublish.End.ExitCode, viewerPublish.End.Error, viewerPublish.End.Message));
        Assert.Equal((ExitCodes.Forbidden, "cluster down needs the admin role; this session has operator"), (operatorDown.End.ExitCode, operatorDown.End.Message));
        // Past the role check: the address is simply not a member.
        Assert.Equal((ExitCodes.Failed, ErrorCodes.NotFound), (adminDown.End.ExitCode, adminDown.End.Error));
        Assert.Equal(OperatorRole.Viewer, viewer.Welcome.Role);
    }

    [Fact]
    public async Task The_pbm_executable_takes_the_token_switch()
    {
        var endpoint = $"127.0.0.1:{_host.Port}";

        var withToken = await PbmClient.ProcessAsync("--token", "viewer-token", endpoint, "cluster", "leader");
        var without = await PbmClient.ProcessAsync(endpoint, "cluster", "leader");

        Assert.Equal(0, withToken.ExitCode);
        Assert.Equal(ExitCodes.Forbidden, without.ExitCode);
        Assert.Equal($"error: 127.0.0.1:{_host.Port} refused the session: this host requires an operator token (pbm --token or PBM_TOKEN)\n", without.Stderr);
    }
}
