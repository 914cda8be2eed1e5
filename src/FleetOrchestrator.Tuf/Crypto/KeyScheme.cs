namespace FleetOrchestrator.Tuf.Crypto;

/// <summary>The signature schemes (and the matching <c>keytype</c> values) this library signs and verifies.</summary>
public static class KeyScheme
{
    public const string Ed25519 = "ed25519";
    public const string EcdsaP256 = "ecdsa-sha2-nistp256";
    public const string RsaPssSha256 = "rsassa-pss-sha256";

    public const string Default = Ed25519;

    public static readonly IReadOnlyList<string> All = [Ed25519, EcdsaP256, RsaPssSha256];

    /// <summary>The <c>keytype</c> securesystemslib writes for a scheme.</summary>
    public static string KeyTypeOf(string scheme) => scheme switch
    {
        Ed25519 => "ed25519",
        EcdsaP256 => "ecdsa",
        RsaPssSha256 => "rsa",
        _ => throw new ArgumentException($"unsupported signature scheme \"{scheme}\"; supported: {string.Join(", ", All)}", nameof(scheme)),
    };

    /// <summary>Whether <paramref name="keyType"/> is a keytype that may carry <paramref name="scheme"/> (older files write "ecdsa-sha2-nistp256" as keytype).</summary>
    internal static bool KeyTypeFits(string keyType, string scheme) =>
        keyType == KeyTypeOf(scheme) || (scheme == EcdsaP256 && keyType == EcdsaP256);
}
