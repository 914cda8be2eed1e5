using System.Security.Cryptography;

namespace FleetOrchestrator.Oci;

/// <summary>
/// A content digest as used by the OCI distribution spec. Only <c>sha256</c> is accepted: it is
/// what every registry and our devices verify, and refusing the rest keeps verification simple.
/// </summary>
public readonly record struct Digest(string Algorithm, string Hex)
{
    public const string Sha256Algorithm = "sha256";
    private const int Sha256HexLength = 64;
    private const int MaxTextLength = 256;

    /// <summary>Parses <c>sha256:&lt;64 lowercase hex&gt;</c>; throws <see cref="OciReferenceException"/> naming what is wrong.</summary>
    public static Digest Parse(string text) =>
        TryParse(text, out var digest, out var error) ? digest : throw new OciReferenceException(text, error);

    public static bool TryParse(string? text, out Digest digest) => TryParse(text, out digest, out _);

    internal static bool TryParse(string? text, out Digest digest, out string error)
    {
        digest = default;
        if (string.IsNullOrEmpty(text)) { error = "digest is empty"; return false; }
        if (text.Length > MaxTextLength) { error = $"digest is {text.Length} characters long, at most {MaxTextLength} allowed"; return false; }
        var colon = text.IndexOf(':');
        if (colon < 0) { error = "digest has no ':' between algorithm and hex"; return false; }
        var algorithm = text[..colon];
        var hex = text[(colon + 1)..];
        if (algorithm != Sha256Algorithm) { error = $"digest algorithm '{algorithm}' is not supported, only {Sha256Algorithm}"; return false; }
        if (hex.Length != Sha256HexLength) { error = $"sha256 digest has {hex.Length} hex characters, expected {Sha256HexLength}"; return false; }
        foreach (var c in hex)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                error = $"sha256 digest contains '{c}', only lowercase hex (0-9, a-f) allowed";
                return false;
            }
        }
        digest = new Digest(algorithm, hex);
        error = "";
        return true;
    }

    public static Digest Sha256(ReadOnlySpan<byte> content) =>
        new(Sha256Algorithm, Convert.ToHexStringLower(SHA256.HashData(content)));

    /// <summary>Hashes a whole stream, e.g. a resumed download once all its bytes are on disk.</summary>
    public static async Task<Digest> Sha256Async(Stream content, CancellationToken ct) =>
        new(Sha256Algorithm, Convert.ToHexStringLower(await SHA256.HashDataAsync(content, ct)));

    internal static Digest FromSha256Hash(ReadOnlySpan<byte> hash) => new(Sha256Algorithm, Convert.ToHexStringLower(hash));

    public override string ToString() => $"{Algorithm}:{Hex}";
}
