using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace FleetOrchestrator.Tuf.Tests.Simulator;

/// <summary>What the server answers for one request path.</summary>
public abstract record ServedResponse
{
    public sealed record Body(byte[] Bytes) : ServedResponse;

    public sealed record Status(HttpStatusCode Code) : ServedResponse;

    /// <summary>Chunked data that never ends (until the client hangs up, or a safety cap).</summary>
    public sealed record Endless : ServedResponse;
}

/// <summary>
/// A plain HTTP server on a free 127.0.0.1 port. Each GET is answered by <c>respond(path)</c>
/// (path as sent, still URL-encoded) and recorded, in arrival order, in <see cref="Requests"/>.
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private const long EndlessSafetyCap = 256L * 1024 * 1024;
    private readonly HttpListener _listener = new();
    private readonly Func<string, ServedResponse> _respond;
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly Task _loop;

    public LoopbackHttpServer(Func<string, ServedResponse> respond)
    {
        _respond = respond;
        BaseUrl = Listen();
        _loop = AcceptLoopAsync();
    }

    /// <summary>Binds a free port; retried because another test may take the probed port before the listener does.</summary>
    private Uri Listen()
    {
        for (var attempt = 1; ; attempt++)
        {
            var url = new Uri($"http://127.0.0.1:{FreePort()}/");
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add(url.ToString());
            try
            {
                _listener.Start();
                return url;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
    }

    public Uri BaseUrl { get; }

    public IReadOnlyList<string> Requests => [.. _requests];

    public void ClearRequests() => _requests.Clear();

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task AcceptLoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var path = context.Request.RawUrl ?? "/";
        _requests.Enqueue(path);
        var response = context.Response;
        try
        {
            switch (_respond(path))
            {
                case ServedResponse.Body body:
                    response.ContentLength64 = body.Bytes.Length;
                    await response.OutputStream.WriteAsync(body.Bytes);
                    break;
                case ServedResponse.Status status:
                    response.StatusCode = (int)status.Code;
                    break;
                case ServedResponse.Endless:
                    response.SendChunked = true;
                    var chunk = new byte[64 * 1024];
                    Array.Fill(chunk, (byte)' ');
                    for (long sent = 0; sent < EndlessSafetyCap; sent += chunk.Length)
                        await response.OutputStream.WriteAsync(chunk);
                    break;
            }
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client hung up (expected when it cuts off an oversized body).
            response.Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
