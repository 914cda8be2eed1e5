using System.Net;

namespace FleetOrchestrator.Tuf.Client;

/// <summary>
/// One HTTP GET per call, never retried, whose body is read only up to a byte limit: a server sending
/// endless data or lying in Content-Length is cut off as soon as the limit is passed.
/// </summary>
public sealed class BoundedFetcher(HttpClient http)
{
    private const int ChunkSize = 64 * 1024;

    /// <summary>The body of <paramref name="url"/>, at most <paramref name="maxBytes"/> long; any non-success status is an error.</summary>
    public async Task<byte[]> FetchAsync(Uri url, long maxBytes, string role, CancellationToken cancellation = default) =>
        (await FetchAsync(url, maxBytes, role, absentIsNull: false, cancellation))!;

    /// <summary>As <see cref="FetchAsync(Uri, long, string, CancellationToken)"/>, but null when the server answers 404 or 403 (no such file).</summary>
    public Task<byte[]?> FetchIfPresentAsync(Uri url, long maxBytes, string role, CancellationToken cancellation = default) =>
        FetchAsync(url, maxBytes, role, absentIsNull: true, cancellation);

    private async Task<byte[]?> FetchAsync(Uri url, long maxBytes, string role, bool absentIsNull, CancellationToken cancellation)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellation);
        }
        catch (HttpRequestException e)
        {
            throw new TufDownloadException(role, "fetch", $"fetching {role} from {url} failed: {e.Message}", e);
        }
        using (response)
        {
            if (absentIsNull && response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
                return null;
            if (!response.IsSuccessStatusCode)
                throw new TufDownloadException(role, "fetch", $"fetching {role} from {url} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            var declared = response.Content.Headers.ContentLength;
            if (declared > maxBytes)
                throw TooLarge(role, url, maxBytes, $"Content-Length {declared}");
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancellation);
                return await ReadBoundedAsync(body, maxBytes, role, url, cancellation);
            }
            catch (IOException e)
            {
                throw new TufDownloadException(role, "fetch", $"reading {role} from {url} failed: {e.Message}", e);
            }
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(Stream body, long maxBytes, string role, Uri url, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[ChunkSize];
        while (true)
        {
            // Ask for at most one byte past the limit: enough to detect an oversized body, never more.
            var wanted = (int)Math.Min(chunk.Length, maxBytes - buffer.Length + 1);
            var read = await body.ReadAsync(chunk.AsMemory(0, wanted), cancellation);
            if (read == 0) return buffer.ToArray();
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
                throw TooLarge(role, url, maxBytes, $"more than {maxBytes} bytes received");
        }
    }

    private static TufDownloadException TooLarge(string role, Uri url, long maxBytes, string seen) =>
        new(role, "size-limit", $"{role} from {url} exceeds its limit of {maxBytes} bytes ({seen})");
}
