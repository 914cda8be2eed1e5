using System.Net.Sockets;
using FleetOrchestrator.CommandProtocol;

namespace FleetOrchestrator.Pbm;

/// <summary>pbm cannot talk to the host (unreachable, refused, connection broken); exit code <see cref="ExitCodes.Unavailable"/> or the host's.</summary>
public sealed class PbmException(string message, int exitCode = ExitCodes.Unavailable) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>One session with a command host: hello and the palettes on connect, then requests one at a time.</summary>
public sealed class PbmConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly FrameCodec _codec;

    private PbmConnection(TcpClient client, WelcomeFrame welcome)
    {
        _client = client;
        _codec = new FrameCodec(client.GetStream(), FrameCodec.MaxServerFrameBytes);
        Welcome = welcome;
    }

    public WelcomeFrame Welcome { get; }

    public static async Task<PbmConnection> ConnectAsync(string host, int port, string? token, CancellationToken cancellation)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await client.ConnectAsync(host, port, timeout.Token);
            var codec = new FrameCodec(client.GetStream(), FrameCodec.MaxServerFrameBytes);
            await codec.WriteAsync(new HelloFrame(FrameCodec.ProtocolVersion, token, "pbm"), timeout.Token);
            switch (await codec.ReadAsync<ServerFrame>(timeout.Token))
            {
                case WelcomeFrame welcome:
                    return new PbmConnection(client, welcome);
                case EndFrame refused:
                    throw new PbmException($"{host}:{port} refused the session: {refused.Message}", refused.ExitCode);
                default:
                    throw new PbmException($"{host}:{port} did not answer hello with a welcome frame");
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or FrameException)
        {
            client.Dispose();
            throw new PbmException($"cannot reach the command host at {host}:{port}: {e.Message}");
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Sends a request and hands every frame to <paramref name="onFrame"/> as it arrives; returns the end frame.</summary>
    public async Task<EndFrame> RunAsync(string palette, string command, IReadOnlyList<string> arguments, Action<ServerFrame> onFrame, CancellationToken cancellation)
    {
        try
        {
            await _codec.WriteAsync(new RequestFrame(palette, command, arguments), cancellation);
            while (true)
            {
                var frame = await _codec.ReadAsync<ServerFrame>(cancellation)
                    ?? throw new PbmException("the command host closed the connection before the command ended");
                onFrame(frame);
                if (frame is EndFrame end) return end;
            }
        }
        catch (Exception e) when (e is SocketException or IOException or FrameException)
        {
            throw new PbmException($"the connection to the command host broke: {e.Message}");
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
