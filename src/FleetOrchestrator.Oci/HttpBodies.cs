using System.Text;
using System.Text.Json;

namespace FleetOrchestrator.Oci;

/// <summary>Size-bounded reads of registry answers.</summary>
internal static class HttpBodies
{
    private const int MaxErrorBytes = 64 * 1024;
    private const int MaxErrorTextLength = 500;

    /// <summary>The whole body, refusing a declared or actual length above <paramref name="limit"/> without reading the excess.</summary>
    public static async Task<byte[]> ReadBoundedAsync(HttpContent content, long limit, string subject, CancellationToken ct)
    {
        var declared = content.Headers.ContentLength;
        if (declared > limit) throw new OciTooLargeException(subject, limit, $"Content-Length {declared}");
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var body = new MemoryStream(declared is { } length ? (int)length : 0);
        var buffer = new byte[(int)Math.Min(81920, limit + 1)];
        int read;
        while ((read = await stream.ReadAsync(buffer, ct)) > 0)
        {
            if (body.Length + read > limit) throw new OciTooLargeException(subject, limit, $"more than {limit} bytes");
            body.Write(buffer, 0, read);
        }
        return body.ToArray();
    }

    /// <summary>
    /// The registry's <c>errors[].code: message</c> list from an error answer, else its text, shortened;
    /// empty when there is no body. Never throws: it only decorates another error.
    /// </summary>
    public static async Task<string> RegistryErrorsAsync(HttpResponseMessage response, CancellationToken ct)
    {
        byte[] body;
        try { body = await ReadBoundedAsync(response.Content, MaxErrorBytes, "error body", ct); }
        catch (Exception e) when (e is OciException or HttpRequestException or IOException) { return ""; }
        if (body.Length == 0) return "";
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object &&
                document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                var parts = errors.EnumerateArray()
                    .Where(e => e.ValueKind == JsonValueKind.Object)
                    .Select(e => $"{Text(e, "code")}: {Text(e, "message")}");
                return Shorten(string.Join("; ", parts));
            }
        }
        catch (JsonException) { }
        return Shorten(Encoding.UTF8.GetString(body).Trim());
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText() : "";

    private static string Shorten(string text) => text.Length <= MaxErrorTextLength ? text : text[..MaxErrorTextLength] + "...";
}
