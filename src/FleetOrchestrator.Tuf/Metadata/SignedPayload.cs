using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>
/// The <c>signed</c> part common to every role: <c>_type</c>, <c>spec_version</c> (1.x accepted),
/// <c>version</c> (&gt;= 1), <c>expires</c> (strictly <c>YYYY-MM-DDTHH:MM:SSZ</c>) and any unknown fields.
/// </summary>
public abstract partial record SignedPayload
{
    /// <summary>The spec version written by this library.</summary>
    public const string CurrentSpecVersion = "1.0.31";

    public required int Version { get; init; }
    public required DateTimeOffset Expires { get; init; }
    public string SpecVersion { get; init; } = CurrentSpecVersion;
    public JsonObject? UnknownFields { get; init; }

    /// <summary>The <c>_type</c> value of this role.</summary>
    public abstract string Type { get; }

    public bool IsExpired(DateTimeOffset now) => now >= Expires;

    /// <summary>The <c>signed</c> object; its canonical JSON is what signatures cover.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject
        {
            ["_type"] = Type,
            ["spec_version"] = SpecVersion,
            ["version"] = Version,
            ["expires"] = FormatExpires(Expires),
        };
        WriteFields(obj);
        JsonFields.AddUnknown(obj, UnknownFields);
        return obj;
    }

    protected abstract void WriteFields(JsonObject signed);

    public static string FormatExpires(DateTimeOffset expires) =>
        expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Reads and checks the common header fields of a <c>signed</c> object of role <paramref name="role"/>.</summary>
    internal static (int Version, DateTimeOffset Expires, string SpecVersion) ReadHeader(JsonFields fields, string expectedType, string role)
    {
        var type = fields.String("_type");
        if (type != expectedType)
            throw fields.Error("signed._type", $"expected \"{expectedType}\" metadata for role {role}, found \"{type}\"");
        var spec = fields.String("spec_version");
        if (!SpecVersionPattern().IsMatch(spec))
            throw fields.Error("signed.spec_version", $"unsupported spec_version \"{spec}\": only 1.x and 1.x.y are accepted");
        var version = (int)fields.Integer("version", 1, int.MaxValue);
        var expiresText = fields.String("expires");
        if (!ExpiresPattern().IsMatch(expiresText)
            || !DateTimeOffset.TryParseExact(expiresText, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var expires))
            throw fields.Error("signed.expires", $"expected a UTC time as YYYY-MM-DDTHH:MM:SSZ, found \"{expiresText}\"");
        return (version, expires, spec);
    }

    [GeneratedRegex(@"^1\.[0-9]+(\.[0-9]+)?$")]
    private static partial Regex SpecVersionPattern();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")]
    private static partial Regex ExpiresPattern();
}

/// <summary>Lets <see cref="SignedMetadata{T}"/> parse a role's <c>signed</c> object generically.</summary>
public interface ISignedPayload<out TSelf> where TSelf : SignedPayload
{
    /// <summary>The <c>_type</c> of this metadata (also the role name for the top-level roles).</summary>
    static abstract string TypeName { get; }

    /// <summary>Parses a <c>signed</c> object; <paramref name="role"/> names the role in error messages.</summary>
    static abstract TSelf FromJson(JsonElement signed, string role);
}
