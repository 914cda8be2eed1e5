using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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
    private readonly Stream _stream;
    private readonly FrameCodec _codec;

    private PbmConnection(TcpClient client, Stream stream, FrameCodec codec, WelcomeFrame welcome)
    {
        _client = client;
        _stream = stream;
        _codec = codec;
        Welcome = welcome;
    }

    public WelcomeFrame Welcome { get; }

    /// <param name="trustedCa">When set, the session is TLS and the host's certificate must chain to this CA and name <paramref name="host"/>.</param>
    public static async Task<PbmConnection> ConnectAsync(string host, int port, string? token, CancellationToken cancellation, X509Certificate2? trustedCa = null)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await client.ConnectAsync(host, port, timeout.Token);
            Stream stream = client.GetStream();
            if (trustedCa is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = host,
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) => IsTrusted(certificate, errors, trustedCa),
                }, timeout.Token);
            }
            var codec = new FrameCodec(stream, FrameCodec.MaxServerFrameBytes);
            await codec.WriteAsync(new HelloFrame(FrameCodec.ProtocolVersion, token, "pbm"), timeout.Token);
            switch (await codec.ReadAsync<ServerFrame>(timeout.Token))
            {
                case WelcomeFrame welcome:
                    return new PbmConnection(client, stream, codec, welcome);
                case EndFrame refused:
                    throw new PbmException($"{host}:{port} refused the session: {refused.Message}", refused.ExitCode);
                default:
                    throw new PbmException($"{host}:{port} did not answer hello with a welcome frame");
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or FrameException or System.Security.Authentication.AuthenticationException)
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

    /// <summary>The host's certificate chains to <paramref name="ca"/> alone (not the system's roots) and its name matches.</summary>
    private static bool IsTrusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2 ca)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = new X509Certificate2(certificate);
        return chain.Build(server);
    }

    /// <summary>The CA certificate (PEM) that <c>pbm --ca</c> pins.</summary>
    public static X509Certificate2 LoadCa(string file)
    {
        try
        {
            return X509Certificate2.CreateFromPem(File.ReadAllText(file));
        }
        catch (Exception e) when (e is CryptographicException or IOException)
        {
            throw new PbmException($"cannot read the CA certificate {file}: {e.Message}", ExitCodes.Usage);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
    }
}
