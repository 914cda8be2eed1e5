using System.Globalization;
using System.Text.Json.Nodes;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Publishing;

/// <summary>A compose app as published: its immutable URI and what it was made of.</summary>
public sealed record PublishedApp(string Name, string Uri, string ManifestDigest, string BundleDigest, long BundleSize);

/// <summary>
/// The TUF target a publish records (DESIGN §3): a real file — the canonical JSON of the app set — so
/// its length and hashes can be verified, and the REFERENCE <c>custom</c> fields.
/// </summary>
public sealed record PublishedTarget(string Name, byte[] File, JsonObject Custom)
{
    public long Length => File.Length;

    public IReadOnlyDictionary<string, string> Hashes => Tuf.Metadata.Hashes.Compute(File);

    /// <summary>The TUF targets entry for <see cref="Name"/>.</summary>
    public TargetFile ToTargetFile() => new(Length, Hashes, (JsonObject)Custom.DeepClone());

    /// <summary><c>{name, length, hashes, custom}</c>: what fleet-publish prints.</summary>
    public JsonObject ToJson()
    {
        var json = ToTargetFile().ToJson();
        json.Insert(0, "name", Name);
        return json;
    }

    public static PublishedTarget Create(
        string factory, long version, IReadOnlyList<string> hardwareIds, IReadOnlyList<string> tags,
        IReadOnlyList<PublishedApp> apps, string containersSha, DateTimeOffset createdAt)
    {
        var appSet = new JsonObject(apps.OrderBy(a => a.Name, StringComparer.Ordinal)
            .Select(a => KeyValuePair.Create(a.Name, (JsonNode?)new JsonObject { ["uri"] = a.Uri })));
        var versionText = version.ToString(CultureInfo.InvariantCulture);
        var custom = new JsonObject
        {
            ["version"] = versionText,
            ["hardwareIds"] = new JsonArray(hardwareIds.Select(h => (JsonNode?)h).ToArray()),
            ["tags"] = new JsonArray(tags.Select(t => (JsonNode?)t).ToArray()),
            ["docker_compose_apps"] = appSet.DeepClone(),
            ["containers-sha"] = containersSha,
            ["createdAt"] = createdAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
        return new PublishedTarget($"{factory}-{versionText}", CanonicalJson.Serialize(appSet), custom);
    }
}
