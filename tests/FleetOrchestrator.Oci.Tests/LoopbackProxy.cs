using System.Collections.Concurrent;
using System.Net;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Oci.Tests;

/// <summary>
/// An HTTP proxy on loopback in front of a real registry, to count requests, answer some of them
/// itself (e.g. 503) or alter response bodies (e.g. flip a byte) — what a faulty network or registry would do.
/// </summary>
internal sealed class LoopbackProxy : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false });
    private readonly string _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public string Address { get; }
    /// <summary>"METHOD /path" of every request received, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();
    /// <summary>Given "METHOD /path", a status to answer instead of forwarding, or null to forward.</summary>
    public Func<string, int?> Intercept { get; set; } = _ => null;
    /// <summary>Given "METHOD /path" and the registry's body, the body to send on.</summary>
    public Func<string, byte[], byte[]> AlterBody { get; set; } = (_, body) => body;

    /// <summary>Pass the proxy's own address as Host, so the registry's Location URLs point back at the proxy.</summary>
    public bool ForwardHost { get; set; } = true;

    /// <summary>Answer bodies with chunked transfer encoding, i.e. without Content-Length.</summary>
    public bool SendChunked { get; set; }

    public LoopbackProxy(string targetAddress)
    {
        _target = targetAddress;
        var port = RegistryProcess.FreePort();
        Address = $"127.0.0.1:{port}";
        _listener.Prefixes.Add($"http://{Address}/");
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Count(string method, string pathPart) =>
        Requests.Count(r => r.StartsWith(method + " ", StringComparison.Ordinal) && r.Contains(pathPart, StringComparison.Ordinal));

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var key = $"{context.Request.HttpMethod} {context.Request.Url!.AbsolutePath}";
        Requests.Enqueue(key);
        try
        {
            if (Intercept(key) is { } status)
            {
                context.Response.StatusCode = status;
                context.Response.Close();
                return;
            }
            using var forward = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), $"http://{_target}{context.Request.Url.PathAndQuery}");
            if (context.Request.HasEntityBody || context.Request.ContentLength64 > 0)
            {
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                forward.Content = new ByteArrayContent(body.ToArray());
            }
            foreach (var name in context.Request.Headers.AllKeys)
            {
                if (name is null || name.Equals("Host", StringComparison.OrdinalIgnoreCase)) continue;
                var value = context.Request.Headers[name]!;
                if (!forward.Headers.TryAddWithoutValidation(name, value)) forward.Content?.Headers.TryAddWithoutValidation(name, value);
            }
            // The registry builds Location URLs from Host: make them point at the proxy.
            if (ForwardHost) forward.Headers.Host = Address;
            using var response = await _upstream.SendAsync(forward);
            var bytes = AlterBody(key, await response.Content.ReadAsByteArrayAsync());
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                if (header.Key is "Content-Length" or "Transfer-Encoding" or "Connection") continue;
                foreach (var value in header.Value) context.Response.Headers.Add(header.Key, value);
            }
            if (context.Request.HttpMethod == "HEAD")
            {
                if (response.Content.Headers.ContentLength is { } length) context.Response.ContentLength64 = length;
            }
            else
            {
                if (SendChunked) context.Response.SendChunked = true;
                else context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes);
            }
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or HttpRequestException or ObjectDisposedException)
        {
            context.Response.Abort();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
        _upstream.Dispose();
        _stop.Dispose();
    }
}
