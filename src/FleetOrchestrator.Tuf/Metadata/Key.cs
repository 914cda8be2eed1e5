using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>
/// A public key as TUF metadata lists it (<c>keytype</c>, <c>scheme</c>, <c>keyval.public</c>, any other
/// fields kept); <see cref="KeyId"/> is the lowercase hex sha256 of the key object's canonical JSON.
/// </summary>
public sealed class Key
{
    private readonly JsonObject? _unknownFields;
    private readonly JsonObject? _unknownKeyValFields;

    public Key(string keyType, string scheme, string publicValue, JsonObject? unknownFields = null, JsonObject? unknownKeyValFields = null)
    {
        KeyType = keyType;
        Scheme = scheme;
        PublicValue = publicValue;
        _unknownFields = unknownFields;
        _unknownKeyValFields = unknownKeyValFields;
        KeyId = Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(ToJson())));
    }

    public string KeyType { get; }
    public string Scheme { get; }

    /// <summary><c>keyval.public</c>: hex for ed25519, a PEM SubjectPublicKeyInfo for ecdsa and rsa.</summary>
    public string PublicValue { get; }

    public string KeyId { get; }

    /// <summary>The scheme's parsed public key, built on first verification and reused (see Crypto.SignatureVerifier).</summary>
    internal object? VerifierCache { get; set; }

    public JsonObject ToJson()
    {
        var keyVal = new JsonObject { ["public"] = PublicValue };
        JsonFields.AddUnknown(keyVal, _unknownKeyValFields);
        var obj = new JsonObject { ["keytype"] = KeyType, ["scheme"] = Scheme, ["keyval"] = keyVal };
        JsonFields.AddUnknown(obj, _unknownFields);
        return obj;
    }

    /// <summary>
    /// A public key object given as JSON text (as <see cref="ToJson"/> writes it), e.g. a new key an operator's tool
    /// sends; its scheme must be one this library verifies. Throws <see cref="MetadataFormatException"/> naming what is wrong.
    /// </summary>
    public static Key Parse(string json, string role)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new MetadataFormatException(role, "key", $"not a JSON key object: {e.Message}");
        }
        using (document)
        {
            var key = FromJson(document.RootElement, role, "key");
            if (!Crypto.KeyScheme.All.Contains(key.Scheme) || !Crypto.KeyScheme.KeyTypeFits(key.KeyType, key.Scheme))
                throw new MetadataFormatException(role, "key", $"keytype \"{key.KeyType}\" with scheme \"{key.Scheme}\" is not supported; schemes: {string.Join(", ", Crypto.KeyScheme.All)}");
            return key;
        }
    }

    internal static Key FromJson(JsonElement element, string role, string path)
    {
        var fields = new JsonFields(element, role, path);
        var keyType = fields.String("keytype");
        var scheme = fields.String("scheme");
        var keyVal = new JsonFields(fields.Object("keyval"), role, path + ".keyval");
        var publicValue = keyVal.String("public");
        return new Key(keyType, scheme, publicValue, fields.Unknown(), keyVal.Unknown());
    }

    public override string ToString() => $"{Scheme} key {KeyId}";
}
