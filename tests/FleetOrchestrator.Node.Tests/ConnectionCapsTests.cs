using System.Net.Security;
using System.Net.Sockets;

namespace FleetOrchestrator.Node.Tests;

/// <summary>The gateway's cap on concurrent connections per source address, with idle TCP connections.</summary>
public sealed class ConnectionCapsTests : IAsyncLifetime
{
    private const int Cap = 4;
    private RunningNode _node = null!;

    public async Task InitializeAsync() => _node = await RunningNode.StartAsync(hocon: $"fleet.gateway.connections.max-per-address = {Cap}");

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(_node.GatewayUrl.Host, _node.GatewayUrl.Port);
        return client;
    }

    [Fact]
    public async Task Connections_over_the_cap_of_an_address_are_closed_and_the_first_ones_stay_usable()
    {
        var held = new List<TcpClient>();
        for (var i = 0; i < Cap; i++) held.Add(await ConnectAsync());
        using var extra = await ConnectAsync();

        // The server closes the extra connection without a byte: the read ends (0 bytes or a reset).
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int read;
        try { read = await extra.GetStream().ReadAsync(new byte[1], timeout.Token); }
        catch (IOException) { read = 0; }
        await using var tls = new SslStream(held[0].GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = _node.GatewayUrl.Host, RemoteCertificateValidationCallback = (_, _, _, _) => true });

        Assert.Equal(0, read);
        Assert.True(tls.IsAuthenticated);
        foreach (var client in held) client.Dispose();
    }
}
