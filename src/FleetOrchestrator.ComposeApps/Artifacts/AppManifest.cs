using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.ComposeApps.Artifacts;

/// <summary>
/// The OCI manifest of a published compose app (REFERENCE "Publishing"): an artifact whose config is the
/// empty descriptor and whose single layer is the bundle, with the bundle index referenced by annotation.
/// </summary>
public sealed record AppManifest(Digest BundleDigest, long BundleSize, Digest IndexDigest, long IndexSize)
{
    public const string ArtifactType = "application/vnd.fio+compose-app";
    public const string LayerMediaType = OciMediaTypes.OctetStream; // some registries rewrite other types
    public const string AppAnnotation = "compose-app";
    public const string AppAnnotationValue = "v1";
    public const string IndexDigestAnnotation = "org.foundries.app.bundle.index.digest";
    public const string IndexSizeAnnotation = "org.foundries.app.bundle.index.size";
    /// <summary>Devices refuse larger app manifests.</summary>
    public const int MaxBytes = 50 * 1024;

    /// <summary>The digest of the OCI empty config blob <c>{}</c>.</summary>
    public static Digest EmptyConfigDigest { get; } = Digest.Sha256(OciMediaTypes.OciEmptyContent);

    /// <summary>The tag pushed beside the digest: <c>app-&lt;version&gt;</c>.</summary>
    public static string VersionTag(long version) => $"app-{version.ToString(CultureInfo.InvariantCulture)}";

    public byte[] ToJsonBytes()
    {
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciMediaTypes.OciManifest,
            ["artifactType"] = ArtifactType,
            ["config"] = new JsonObject
            {
                ["mediaType"] = OciMediaTypes.OciEmpty,
                ["digest"] = EmptyConfigDigest.ToString(),
                ["size"] = OciMediaTypes.OciEmptyContent.Length,
            },
            ["layers"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = LayerMediaType,
                ["digest"] = BundleDigest.ToString(),
                ["size"] = BundleSize,
                ["annotations"] = new JsonObject
                {
                    [IndexDigestAnnotation] = IndexDigest.ToString(),
                    [IndexSizeAnnotation] = IndexSize.ToString(CultureInfo.InvariantCulture),
                },
            }),
            ["annotations"] = new JsonObject { [AppAnnotation] = AppAnnotationValue },
        };
        // Relaxed escaping keeps media types readable ("+json", not "\u002Bjson"), as registries and tools write them.
        return JsonSerializer.SerializeToUtf8Bytes(manifest, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Reads an app manifest as a device does: bounded, and every field the device relies on checked.</summary>
    public static AppManifest Parse(ReadOnlySpan<byte> content)
    {
        if (content.Length > MaxBytes)
            throw new AppManifestException($"is {content.Length} bytes; the limit is {MaxBytes}");
        JsonNode? root;
        try { root = JsonNode.Parse(content.ToArray(), documentOptions: new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException e) { throw new AppManifestException($"is not JSON: {e.Message}"); }
        if (root is not JsonObject manifest) throw new AppManifestException("is not a JSON object");
        Expect(manifest, "mediaType", OciMediaTypes.OciManifest);
        if (manifest["annotations"]?[AppAnnotation]?.GetValueKind() != JsonValueKind.String
            || manifest["annotations"]![AppAnnotation]!.GetValue<string>() != AppAnnotationValue)
            throw new AppManifestException($"lacks the annotation {AppAnnotation}: {AppAnnotationValue}; it is not a compose app");
        if (manifest["layers"] is not JsonArray { Count: 1 } layers || layers[0] is not JsonObject layer)
            throw new AppManifestException("must have exactly one layer (the app bundle)");
        var annotations = layer["annotations"] as JsonObject
            ?? throw new AppManifestException("bundle layer has no annotations (bundle index)");
        return new AppManifest(
            ParseDigest(layer["digest"], "layers[0].digest"),
            ParseSize(layer["size"], "layers[0].size"),
            ParseDigest(annotations[IndexDigestAnnotation], IndexDigestAnnotation),
            long.TryParse(annotations[IndexSizeAnnotation]?.GetValue<string>(), NumberStyles.None, CultureInfo.InvariantCulture, out var indexSize)
                ? indexSize : throw new AppManifestException($"{IndexSizeAnnotation} is not a size"));
    }

    private static void Expect(JsonObject json, string field, string value)
    {
        var actual = json[field]?.GetValueKind() == JsonValueKind.String ? json[field]!.GetValue<string>() : null;
        if (actual != value) throw new AppManifestException($"{field} is '{actual}', expected '{value}'");
    }

    private static Digest ParseDigest(JsonNode? node, string field) =>
        node?.GetValueKind() == JsonValueKind.String && Digest.TryParse(node.GetValue<string>(), out var digest)
            ? digest : throw new AppManifestException($"{field} is not a sha256 digest");

    private static long ParseSize(JsonNode? node, string field) =>
        node?.GetValueKind() == JsonValueKind.Number && node.GetValue<long>() is >= 0 and var size
            ? size : throw new AppManifestException($"{field} is not a size");
}

public sealed class AppManifestException(string problem) : Exception($"app manifest {problem}");
