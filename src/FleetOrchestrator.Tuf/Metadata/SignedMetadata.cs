using System.Text.Json;
using System.Text.Json.Nodes;
using FleetOrchestrator.Tuf.Crypto;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>One entry of <c>signatures</c>: the signing keyid and the signature as hex.</summary>
public sealed record Signature(string KeyId, string Sig)
{
    public JsonObject ToJson() => new() { ["keyid"] = KeyId, ["sig"] = Sig };
}

/// <summary>
/// A metadata file: the typed <c>signed</c> payload, its signatures and the bytes it came from. Signatures
/// cover <see cref="SignedBytes"/> (canonical JSON of <c>signed</c> as received); <see cref="Raw"/> is what
/// gets stored and served, byte for byte.
/// </summary>
public sealed class SignedMetadata<T> where T : SignedPayload, ISignedPayload<T>
{
    private SignedMetadata(T signed, IReadOnlyList<Signature> signatures, ReadOnlyMemory<byte> signedBytes, byte[] raw)
    {
        Signed = signed;
        Signatures = signatures;
        SignedBytes = signedBytes;
        Raw = raw;
    }

    public T Signed { get; }
    public IReadOnlyList<Signature> Signatures { get; }

    /// <summary>The canonical JSON of <c>signed</c>: the bytes each signature covers (a slice of <see cref="Raw"/> when that is canonical).</summary>
    public ReadOnlyMemory<byte> SignedBytes { get; }

    /// <summary>The file's bytes (do not modify): as parsed, or for a locally built document its canonical layout with control characters escaped (see <see cref="CanonicalJson.SerializeAsValidJson"/>).</summary>
    public byte[] Raw { get; }

    public byte[] ToBytes() => Raw;

    /// <summary>
    /// Parses metadata strictly (canonical-JSON input rules, <c>_type</c> of <typeparamref name="T"/>,
    /// duplicate signature keyids rejected). <paramref name="role"/> names the role in errors (defaults to the type name).
    /// </summary>
    public static SignedMetadata<T> Parse(ReadOnlySpan<byte> raw, string? role = null) => Parse(raw.ToArray(), role);

    /// <summary>
    /// As <see cref="Parse(ReadOnlySpan{byte}, string?)"/> without copying: <paramref name="raw"/> becomes
    /// <see cref="Raw"/> and the parse buffer, so the caller must not modify it afterwards (a fetched body never is).
    /// </summary>
    public static SignedMetadata<T> Parse(byte[] raw, string? role = null)
    {
        role ??= T.TypeName;
        try
        {
            // One array serves as Raw and as the parsed document's text.
            var copy = raw;
            var root = CanonicalJson.ParseDocument(copy).RootElement;
            CanonicalJson.CheckStrict(root, "$", skipMember: "signed");
            var fields = new JsonFields(root, role, "$");
            var signedElement = fields.Object("signed");
            var signatures = ReadSignatures(fields.Array("signatures"), role);
            var signed = T.FromJson(signedElement, role);
            return new SignedMetadata<T>(signed, signatures, CanonicalJson.CanonicalBytes(copy, signedElement), copy);
        }
        catch (CanonicalJsonException e)
        {
            throw new MetadataFormatException(role, "json", e.Message, e);
        }
    }

    /// <summary>Parses a canonical <c>signed</c> payload (e.g. an offline-signing request) into <typeparamref name="T"/>.</summary>
    public static T ParseSigned(ReadOnlySpan<byte> signedJson, string? role = null)
    {
        role ??= T.TypeName;
        try
        {
            var element = CanonicalJson.ParseDocument(signedJson).RootElement;
            CanonicalJson.CheckStrict(element, "signed");
            return T.FromJson(element, role);
        }
        catch (CanonicalJsonException e)
        {
            throw new MetadataFormatException(role, "json", e.Message, e);
        }
    }

    private static List<Signature> ReadSignatures(JsonElement array, string role)
    {
        var signatures = new List<Signature>(array.GetArrayLength());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in array.EnumerateArray())
        {
            var i = signatures.Count;
            var fields = new JsonFields(item, role, $"signatures[{i}]");
            var keyId = fields.String("keyid");
            var sig = fields.String("sig");
            if (!seen.Add(keyId))
                throw fields.Error($"signatures[{i}].keyid", $"keyid {keyId} signs more than once");
            signatures.Add(new Signature(keyId, sig));
        }
        return signatures;
    }

    /// <summary>A document of <paramref name="signed"/> carrying exactly <paramref name="signatures"/>.</summary>
    public static SignedMetadata<T> Create(T signed, IEnumerable<Signature> signatures)
    {
        var signedJson = signed.ToJson();
        return Assemble(signed, signedJson, CanonicalJson.Serialize(signedJson), signatures.ToList());
    }

    /// <summary><paramref name="signed"/> signed by each of <paramref name="signers"/>.</summary>
    public static SignedMetadata<T> Sign(T signed, IEnumerable<ISigner> signers)
    {
        var signedJson = signed.ToJson();
        var signedBytes = CanonicalJson.Serialize(signedJson);
        var signatures = signers.Select(s => new Signature(s.KeyId, Convert.ToHexStringLower(s.Sign(signedBytes)))).ToList();
        return Assemble(signed, signedJson, signedBytes, signatures);
    }

    /// <summary>This document with one more signature (replacing any earlier one of the same keyid).</summary>
    public SignedMetadata<T> WithSignature(Signature signature) =>
        Assemble(Signed, Signed.ToJson(), SignedBytes, Signatures.Where(s => s.KeyId != signature.KeyId).Append(signature).ToList());

    private static SignedMetadata<T> Assemble(T signed, JsonObject signedJson, ReadOnlyMemory<byte> signedBytes, List<Signature> signatures)
    {
        var duplicate = signatures.GroupBy(s => s.KeyId).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new MetadataFormatException(T.TypeName, "signatures", $"keyid {duplicate.Key} signs more than once");
        var document = new JsonObject
        {
            ["signatures"] = new JsonArray(signatures.Select(s => (JsonNode)s.ToJson()).ToArray()),
            ["signed"] = signedJson,
        };
        return new SignedMetadata<T>(signed, signatures, signedBytes, CanonicalJson.SerializeAsValidJson(document));
    }
}
