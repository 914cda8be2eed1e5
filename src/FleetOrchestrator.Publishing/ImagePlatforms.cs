using System.Text.Json;
using System.Text.Json.Nodes;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.Publishing;

/// <summary>
/// Which platforms (<c>os/arch[/variant]</c>) an image runs on, read from its manifest: an index lists them;
/// a single manifest names its config blob, whose <c>os</c>/<c>architecture</c> say it.
/// </summary>
public static class ImagePlatforms
{
    /// <summary>A config blob larger than this is not an image config.</summary>
    public const long MaxConfigBytes = 1024 * 1024;

    /// <summary>The platforms an index lists, or the config blob to read for a single manifest.</summary>
    public static (IReadOnlySet<string>? Platforms, Digest? Config, long ConfigSize) FromManifest(FetchedManifest manifest)
    {
        var json = Parse(manifest.Content, "manifest");
        if (OciMediaTypes.IsIndex(manifest.MediaType))
        {
            var platforms = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var entry in json["manifests"] as JsonArray ?? [])
            {
                // Attestation manifests sit in indexes as platform unknown/unknown.
                if (Platform(entry?["platform"]) is { } platform && !platform.StartsWith("unknown/", StringComparison.Ordinal))
                    platforms.Add(platform);
            }
            return (platforms, null, 0);
        }
        var config = json["config"];
        if (config?["digest"]?.GetValueKind() != JsonValueKind.String || !Digest.TryParse(config["digest"]!.GetValue<string>(), out var digest)
            || config["size"]?.GetValueKind() != JsonValueKind.Number || config["size"]!.GetValue<long>() is < 0 or > MaxConfigBytes)
            throw new OciException($"manifest {manifest.Digest} has no valid config descriptor (digest, size ≤ {MaxConfigBytes})");
        return (null, digest, config["size"]!.GetValue<long>());
    }

    /// <summary>The one platform an image config names.</summary>
    public static IReadOnlySet<string> FromConfig(byte[] config, Digest digest) =>
        Platform(Parse(config, $"image config {digest}")) is { } platform
            ? new SortedSet<string>(StringComparer.Ordinal) { platform }
            : throw new OciException($"image config {digest} names no os/architecture");

    private static string? Platform(JsonNode? node)
    {
        if (node is not JsonObject obj) return null;
        var os = Text(obj, "os");
        var architecture = Text(obj, "architecture");
        if (os is null || architecture is null) return null;
        return Text(obj, "variant") is { } variant ? $"{os}/{architecture}/{variant}" : $"{os}/{architecture}";
    }

    private static string? Text(JsonObject obj, string field) =>
        obj[field]?.GetValueKind() == JsonValueKind.String && obj[field]!.GetValue<string>() is { Length: > 0 } text ? text : null;

    private static JsonObject Parse(byte[] content, string what)
    {
        try
        {
            return JsonNode.Parse(content, documentOptions: new JsonDocumentOptions { MaxDepth = 32 }) as JsonObject
                ?? throw new OciException($"{what} is not a JSON object");
        }
        catch (JsonException e) { throw new OciException($"{what} is not JSON: {e.Message}"); }
    }
}
