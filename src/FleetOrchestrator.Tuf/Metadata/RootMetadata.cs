using System.Text.Json;
using System.Text.Json.Nodes;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>root.json's <c>signed</c>: the trusted keys and, for each top-level role, its keyids and threshold.</summary>
public sealed record RootMetadata : SignedPayload, ISignedPayload<RootMetadata>
{
    public static string TypeName => Role.Root;
    public override string Type => TypeName;

    public bool ConsistentSnapshot { get; init; } = true;
    public required IReadOnlyDictionary<string, Key> Keys { get; init; }

    /// <summary>Exactly the four top-level roles.</summary>
    public required IReadOnlyDictionary<string, RoleKeys> Roles { get; init; }

    /// <summary>The keyids and threshold of a top-level role.</summary>
    public RoleKeys RoleKeysOf(string role) =>
        Roles.TryGetValue(role, out var keys) ? keys : throw new MetadataFormatException(Role.Root, "signed.roles", $"no role \"{role}\" in root");

    protected override void WriteFields(JsonObject signed)
    {
        signed["consistent_snapshot"] = ConsistentSnapshot;
        var keys = new JsonObject();
        foreach (var (id, key) in Keys) keys[id] = key.ToJson();
        signed["keys"] = keys;
        var roles = new JsonObject();
        foreach (var (name, role) in Roles) roles[name] = role.ToJson();
        signed["roles"] = roles;
    }

    public static RootMetadata FromJson(JsonElement signed, string role)
    {
        var fields = new JsonFields(signed, role, "signed");
        var (version, expires, spec) = ReadHeader(fields, TypeName, role);
        var consistent = fields.OptionalBool("consistent_snapshot") ?? false;
        var keys = ReadKeys(fields.Object("keys"), role, "signed.keys");
        var roles = new Dictionary<string, RoleKeys>(StringComparer.Ordinal);
        foreach (var (name, value) in fields.Object("roles").EnumerateObject().Select(m => (m.Name, m.Value)))
        {
            if (!Role.TopLevel.Contains(name))
                throw fields.Error("signed.roles", $"unexpected role \"{name}\": root lists exactly {string.Join(", ", Role.TopLevel)}");
            roles[name] = RoleKeys.FromJson(value, role, $"signed.roles.{name}");
        }
        var missing = Role.TopLevel.Where(r => !roles.ContainsKey(r)).ToList();
        if (missing.Count > 0)
            throw fields.Error("signed.roles", $"missing role(s) {string.Join(", ", missing)}");
        return new RootMetadata
        {
            Version = version, Expires = expires, SpecVersion = spec, ConsistentSnapshot = consistent,
            Keys = keys, Roles = roles, UnknownFields = fields.Unknown(),
        };
    }

    /// <summary>A keyid -> key map; the keyid given in the metadata is kept as the lookup name, as the spec says.</summary>
    internal static Dictionary<string, Key> ReadKeys(JsonElement keysObj, string role, string path)
    {
        var keys = new Dictionary<string, Key>(StringComparer.Ordinal);
        foreach (var (id, value) in keysObj.EnumerateObject().Select(m => (m.Name, m.Value)))
            keys[id] = Key.FromJson(value, role, $"{path}.{id}");
        return keys;
    }
}
