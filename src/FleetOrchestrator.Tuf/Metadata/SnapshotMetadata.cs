using System.Text.Json;
using System.Text.Json.Nodes;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>An entry of snapshot/timestamp <c>meta</c>: the version of a metadata file and optionally its length and hashes.</summary>
public sealed record MetaFile(int Version, long? Length = null, IReadOnlyDictionary<string, string>? Hashes = null)
{
    public JsonObject? UnknownFields { get; init; }

    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["version"] = Version };
        if (Length is { } length) obj["length"] = length;
        if (Hashes is not null) obj["hashes"] = HashesToJson(Hashes);
        JsonFields.AddUnknown(obj, UnknownFields);
        return obj;
    }

    internal static JsonObject HashesToJson(IReadOnlyDictionary<string, string> hashes)
    {
        var obj = new JsonObject();
        foreach (var (algorithm, value) in hashes) obj[algorithm] = value;
        return obj;
    }

    internal static MetaFile FromJson(JsonElement element, string role, string path)
    {
        var fields = new JsonFields(element, role, path);
        var version = (int)fields.Integer("version", 1, int.MaxValue);
        var length = fields.OptionalInteger("length", 0);
        var hashes = fields.OptionalStringMap("hashes", nonEmpty: true);
        return new MetaFile(version, length, hashes) { UnknownFields = fields.Unknown() };
    }

    internal static Dictionary<string, MetaFile> ReadMeta(JsonFields fields, string role)
    {
        var meta = new Dictionary<string, MetaFile>(StringComparer.Ordinal);
        foreach (var (name, value) in fields.Object("meta").EnumerateObject().Select(m => (m.Name, m.Value)))
            meta[name] = FromJson(value, role, $"signed.meta.{name}");
        return meta;
    }

    internal static JsonObject MetaToJson(IReadOnlyDictionary<string, MetaFile> meta)
    {
        var obj = new JsonObject();
        foreach (var (name, file) in meta) obj[name] = file.ToJson();
        return obj;
    }
}

/// <summary>snapshot.json's <c>signed</c>: <c>meta</c> maps "&lt;role&gt;.json" of every targets role to its version.</summary>
public sealed record SnapshotMetadata : SignedPayload, ISignedPayload<SnapshotMetadata>
{
    public static string TypeName => Role.Snapshot;
    public override string Type => TypeName;

    public required IReadOnlyDictionary<string, MetaFile> Meta { get; init; }

    protected override void WriteFields(JsonObject signed) => signed["meta"] = MetaFile.MetaToJson(Meta);

    public static SnapshotMetadata FromJson(JsonElement signed, string role)
    {
        var fields = new JsonFields(signed, role, "signed");
        var (version, expires, spec) = ReadHeader(fields, TypeName, role);
        return new SnapshotMetadata
        {
            Version = version, Expires = expires, SpecVersion = spec,
            Meta = MetaFile.ReadMeta(fields, role), UnknownFields = fields.Unknown(),
        };
    }
}

/// <summary>timestamp.json's <c>signed</c>: <c>meta</c> holds exactly "snapshot.json".</summary>
public sealed record TimestampMetadata : SignedPayload, ISignedPayload<TimestampMetadata>
{
    public const string SnapshotFileName = "snapshot.json";

    public static string TypeName => Role.Timestamp;
    public override string Type => TypeName;

    public required MetaFile SnapshotMeta { get; init; }

    protected override void WriteFields(JsonObject signed) =>
        signed["meta"] = new JsonObject { [SnapshotFileName] = SnapshotMeta.ToJson() };

    public static TimestampMetadata FromJson(JsonElement signed, string role)
    {
        var fields = new JsonFields(signed, role, "signed");
        var (version, expires, spec) = ReadHeader(fields, TypeName, role);
        var meta = MetaFile.ReadMeta(fields, role);
        if (meta.Count != 1 || !meta.TryGetValue(SnapshotFileName, out var snapshot))
            throw fields.Error("signed.meta", $"must hold exactly \"{SnapshotFileName}\", found [{string.Join(", ", meta.Keys)}]");
        return new TimestampMetadata
        {
            Version = version, Expires = expires, SpecVersion = spec,
            SnapshotMeta = snapshot, UnknownFields = fields.Unknown(),
        };
    }
}
