using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.CommandHost.Palettes;
using FleetOrchestrator.CommandProtocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FleetOrchestrator.CommandHost;

/// <summary>
/// The TCP endpoint pbm talks to (docs/command-host.md): accepts sessions, reads bounded frames, checks each
/// request against the palettes and the session's role, and streams the handler's frames back.
/// </summary>
public sealed class CommandHostService(
    CommandHostSettings settings,
    CommandHostEndpoint endpoint,
    IRequiredActor<CommandHostActor> commandHost,
    TimeProvider time,
    ILogger<CommandHostService> log) : BackgroundService
{
    private readonly SemaphoreSlim _sessions = new(settings.MaxSessions, settings.MaxSessions);
    private readonly FailedTokenThrottle _throttle = new(settings.Throttle, time);
    private TcpListener? _listener;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        settings.Validate();
        _listener = new TcpListener(IPAddress.Parse(settings.Hostname), settings.Port);
        try
        {
            _listener.Start();
        }
        catch (SocketException e)
        {
            throw new CommandHostConfigurationException($"the command host cannot listen on {settings.Hostname}:{settings.Port}: {e.Message}");
        }
        var bound = (IPEndPoint)_listener.LocalEndpoint;
        endpoint.SetBound(bound);
        log.LogInformation("command host on {Endpoint} ({Transport}); operator tokens {Tokens}", bound, settings.Certificate is null ? "plain TCP" : "TLS",
            settings.Tokens.Required ? "required" : "not configured (loopback sessions are admin)");
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        var listener = _listener!;
        await using var _ = stopping.Register(listener.Stop);
        var sessions = new List<Task>();
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && stopping.IsCancellationRequested)
            {
                break;
            }
            sessions.RemoveAll(t => t.IsCompleted);
            sessions.Add(RunSessionAsync(client, stopping));
        }
        await Task.WhenAll(sessions);
    }

    public override void Dispose()
    {
        _listener?.Dispose();
        _sessions.Dispose();
        base.Dispose();
    }

    private async Task RunSessionAsync(TcpClient client, CancellationToken stopping)
    {
        using var _ = client;
        var remote = client.Client.RemoteEndPoint;
        client.NoDelay = true;
        await using var network = client.GetStream();
        Stream stream = network;
        if (settings.Certificate is { } certificate)
        {
            var tls = new SslStream(network, leaveInnerStreamOpen: false);
            stream = tls;
            try
            {
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                handshake.CancelAfter(CommandHostSettings.HelloTimeout);
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificate,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                }, handshake.Token);
            }
            catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
            {
                log.LogWarning("pbm session from {Remote} refused: TLS handshake failed: {Reason}", remote, e.Message);
                await tls.DisposeAsync();
                return;
            }
        }
        await using var sessionStream = stream;
        var codec = new FrameCodec(stream, FrameCodec.MaxClientFrameBytes);
        if (!await _sessions.WaitAsync(0, stopping))
        {
            await TryWriteAsync(codec, new EndFrame(ExitCodes.Unavailable, ErrorCodes.Busy, $"the command host already serves {settings.MaxSessions} sessions; try again later"), stopping);
            return;
        }
        try
        {
            await new CommandSession(settings, _throttle, codec, await commandHost.GetAsync(stopping), log, remote).RunAsync(stopping);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            log.LogDebug("session {Remote} ended: {Reason}", remote, e.Message);
        }
        catch (Exception e)
        {
            log.LogError(e, "session {Remote} failed", remote);
        }
        finally
        {
            _sessions.Release();
        }
    }

    internal static async Task TryWriteAsync(FrameCodec codec, ServerFrame frame, CancellationToken cancellation)
    {
        try
        {
            await codec.WriteAsync(frame, cancellation);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
    }
}

/// <summary>One connection: hello, then requests one at a time until the client closes.</summary>
internal sealed class CommandSession(CommandHostSettings settings, FailedTokenThrottle throttle, FrameCodec codec, IActorRef commandHost, ILogger log, EndPoint? remote)
{
    public async Task RunAsync(CancellationToken stopping)
    {
        var who = await HelloAsync(stopping);
        if (who is null) return;
        log.LogInformation("pbm session from {Remote} as {Operator} ({Role})", remote, who.Name, who.Role);
        while (true)
        {
            ClientFrame? frame;
            try
            {
                frame = await codec.ReadAsync<ClientFrame>(stopping);
            }
            catch (FrameException e)
            {
                await codec.WriteAsync(new EndFrame(ExitCodes.Usage, e.Code, e.Message), stopping);
                // After an oversized frame the stream position is unknown: the session cannot continue.
                if (e.Code == ErrorCodes.FrameTooLarge) return;
                continue;
            }
            if (frame is null) return;
            if (frame is not RequestFrame request)
            {
                await codec.WriteAsync(new EndFrame(ExitCodes.Usage, ErrorCodes.BadFrame, "expected a request frame; hello is sent once, first"), stopping);
                continue;
            }
            await RunRequestAsync(request, who, stopping);
        }
    }

    /// <summary>Who the session is, or null when the hello was refused (the refusal is sent).</summary>
    private async Task<OperatorIdentity?> HelloAsync(CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(CommandHostSettings.HelloTimeout);
        ClientFrame? frame;
        try
        {
            frame = await codec.ReadAsync<ClientFrame>(timeout.Token);
        }
        catch (FrameException e)
        {
            await codec.WriteAsync(new EndFrame(ExitCodes.Usage, e.Code, e.Message), stopping);
            return null;
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            await codec.WriteAsync(new EndFrame(ExitCodes.Usage, ErrorCodes.Timeout, $"no hello within {CommandHostSettings.HelloTimeout.TotalSeconds:0} s"), stopping);
            return null;
        }
        if (frame is not HelloFrame hello)
        {
            if (frame is not null)
                await codec.WriteAsync(new EndFrame(ExitCodes.Usage, ErrorCodes.BadFrame, "the first frame must be hello"), stopping);
            return null;
        }
        if (hello.Version != FrameCodec.ProtocolVersion)
        {
            await codec.WriteAsync(new EndFrame(ExitCodes.Usage, ErrorCodes.UnsupportedVersion,
                $"protocol version {hello.Version} is not supported; this host speaks version {FrameCodec.ProtocolVersion}"), stopping);
            return null;
        }
        var who = settings.Tokens.Required ? await IdentifyAsync(hello.Token, stopping) : OperatorIdentity.Loopback;
        if (who is null) return null;
        await codec.WriteAsync(new WelcomeFrame(FrameCodec.ProtocolVersion, Environment.MachineName, who.Role, PaletteCatalog.All), stopping);
        return who;
    }

    /// <summary>
    /// The token's operator, or null when refused: while the source address is throttled its token is not even looked
    /// at (the refusal is logged once per window); an unknown token starts or lengthens the address's window.
    /// </summary>
    private async Task<OperatorIdentity?> IdentifyAsync(string? token, CancellationToken stopping)
    {
        var address = (remote as IPEndPoint)?.Address ?? IPAddress.None;
        if (throttle.Check(address) is { } throttled)
        {
            if (throttled.FirstInWindow)
                log.LogWarning("pbm sessions from {Address} refused until {Until:O}: {Failures} failed operator tokens in a row", address, throttled.Until, throttled.Failures);
            await codec.WriteAsync(new EndFrame(ExitCodes.Forbidden, ErrorCodes.Throttled,
                $"too many failed operator tokens from {address}; try again after {throttled.Until.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}"), stopping);
            return null;
        }
        if (settings.Tokens.Identify(token) is { } who)
        {
            throttle.Succeeded(address);
            return who;
        }
        var until = throttle.Failed(address);
        log.LogWarning("pbm session from {Remote} refused: {Reason}; its address is refused until {Until:O}", remote, token is null ? "no token" : "unknown token", until);
        await codec.WriteAsync(new EndFrame(ExitCodes.Forbidden, ErrorCodes.Unauthorized,
            token is null ? "this host requires an operator token (pbm --token or PBM_TOKEN)" : "the operator token is not known to this host"), stopping);
        return null;
    }

    private async Task RunRequestAsync(RequestFrame request, OperatorIdentity who, CancellationToken stopping)
    {
        CommandInvocation invocation;
        try
        {
            invocation = CommandParser.Parse(PaletteCatalog.All, request.Palette, request.Command, request.Arguments);
        }
        catch (CommandUsageException e)
        {
            await codec.WriteAsync(new EndFrame(ExitCodes.Usage, e.Code, e.Message), stopping);
            return;
        }
        EndFrame? refusal = null;
        if (who.Role < invocation.Command.Role)
        {
            log.LogWarning("pbm {Remote}: {Palette} {Command} refused to {Operator} (role {Role})", remote, request.Palette, request.Command, who.Name, who.Role);
            refusal = new EndFrame(ExitCodes.Forbidden, ErrorCodes.Forbidden,
                $"{request.Palette} {request.Command} needs the {invocation.Command.Role.ToString().ToLowerInvariant()} role; this session has {who.Role.ToString().ToLowerInvariant()}");
        }
        // A refusal goes through the command host too: a refused attempt at a state-changing command is audited.
        var output = Channel.CreateUnbounded<ServerFrame>(new UnboundedChannelOptions { SingleReader = true });
        commandHost.Tell(new StartCommand(invocation, who, output.Writer, refusal));
        try
        {
            await foreach (var frame in output.Reader.ReadAllAsync(stopping))
            {
                await codec.WriteAsync(frame, stopping);
                if (frame is EndFrame) return;
            }
        }
        finally
        {
            // The client is gone or the node stops: the output actor sees a closed channel and stops.
            output.Writer.TryComplete();
        }
    }
}
