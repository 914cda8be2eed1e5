using System.Collections.Concurrent;
using System.Net;

namespace FleetOrchestrator.Oci.Tests;

/// <summary>
/// An HTTP proxy on loopback in front of a real registry, to count requests, answer some of them
/// itself (e.g. 503) or alter response bodies (e.g. flip a byte) — what a faulty network or registry would do.
/// </summary>
internal sealed class LoopbackProxy : IDisposable
{
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false });
    private readonly string _target;
    private readonly LoopbackServer _server;

    public string Address => _server.Address;
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

    /// <summary>Request headers not passed on, e.g. Range.</summary>
    public HashSet<string> DropRequestHeaders { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Response headers not passed on, e.g. Docker-Content-Digest.</summary>
    public HashSet<string> DropResponseHeaders { get; } = new(StringComparer.OrdinalIgnoreCase);

    public LoopbackProxy(string targetAddress)
    {
        _target = targetAddress;
        _server = new LoopbackServer(HandleAsync);
    }

    public int Count(string method, string pathPart) =>
        Requests.Count(r => r.StartsWith(method + " ", StringComparison.Ordinal) && r.Contains(pathPart, StringComparison.Ordinal));

    private async Task HandleAsync(HttpListenerContext context)
    {
        var key = $"{context.Request.HttpMethod} {context.Request.Url!.AbsolutePath}";
        Requests.Enqueue(key);
        if (Intercept(key) is { } status)
        {
            context.Response.StatusCode = status;
            context.Response.Close();
            return;
        }
        using var forward = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), $"http://{_target}{context.Request.Url.PathAndQuery}");
        if (context.Request.HasEntityBody)
        {
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            forward.Content = new ByteArrayContent(body.ToArray());
        }
        foreach (var name in context.Request.Headers.AllKeys)
        {
            if (name is null || name.Equals("Host", StringComparison.OrdinalIgnoreCase) || DropRequestHeaders.Contains(name)) continue;
            var value = context.Request.Headers[name]!;
            if (!forward.Headers.TryAddWithoutValidation(name, value)) forward.Content?.Headers.TryAddWithoutValidation(name, value);
        }
        if (ForwardHost) forward.Headers.Host = Address;
        using var response = await _upstream.SendAsync(forward);
        var bytes = AlterBody(key, await response.Content.ReadAsByteArrayAsync());
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (header.Key is "Content-Length" or "Transfer-Encoding" or "Connection" || DropResponseHeaders.Contains(header.Key)) continue;
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

    public void Dispose()
    {
        _server.Dispose();
        _upstream.Dispose();
    }
}
