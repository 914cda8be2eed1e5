using System.Text.Json;

namespace FleetOrchestrator.CommandProtocol;

/// <summary>
/// TUF metadata waiting for signatures by offline keys, as a <c>keys</c> command returns it in a <see cref="ValueFrame"/>
/// (<c>{"signingRequest": {...}}</c>): pbm signs <see cref="Payload"/> (base64 of the canonical JSON of <c>signed</c>)
/// locally with the key files it was given and sends only the signatures back (<c>keys submit</c>).
/// </summary>
/// <param name="KeyIds">Keys that may sign the request; <paramref name="SignedBy"/> those that did.</param>
/// <param name="Needs">What is still missing, in words.</param>
/// <param name="Tag">The tag and view of a targets request; null for root.</param>
public sealed record SigningRequestValue(string Id, string Role, int Version, string Payload,
    IReadOnlyList<string> KeyIds, IReadOnlyList<string> SignedBy, string Needs, string? Tag = null, string? View = null)
{
    private sealed record Envelope(SigningRequestValue SigningRequest);

    public JsonElement ToJson() => JsonSerializer.SerializeToElement(new Envelope(this), FrameCodec.Json);

    /// <summary>The request a value frame carries, or null when it carries something else.</summary>
    public static SigningRequestValue? From(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object && value.TryGetProperty("signingRequest", out _)
            ? JsonSerializer.Deserialize<Envelope>(value, FrameCodec.Json)?.SigningRequest
            : null;

    /// <summary>The argument of <c>keys submit --signature</c>: <c>&lt;keyid&gt;:&lt;hex signature&gt;</c>.</summary>
    public static string SignatureArgument(string keyId, string signature) => $"{keyId}:{signature}";
}
