using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Repository;

/// <summary>What an operator runs locally for a pending <see cref="SigningRequest"/>: sign its payload with a key file.</summary>
public static class OfflineSigning
{
    /// <summary>Largest payload accepted for signing (root and targets metadata stay far below).</summary>
    public const int MaxPayloadBytes = 8 * 1024 * 1024;

    /// <summary>
    /// Signs <paramref name="payload"/> (the canonical JSON of <c>signed</c> given by
    /// <see cref="TufRepository.PrepareUnsigned"/>) with the private key in <paramref name="keyFile"/>. The payload
    /// is checked to be canonical TUF metadata first, so a key is never used on arbitrary bytes.
    /// </summary>
    public static async Task<Signature> SignPayloadAsync(byte[] payload, string keyFile, string? passphrase = null, CancellationToken cancellation = default)
    {
        CheckPayload(payload);
        using var key = await KeyPair.LoadAsync(keyFile, passphrase, cancellation);
        return new Signature(key.KeyId, Convert.ToHexStringLower(key.Sign(payload)));
    }

    private static void CheckPayload(byte[] payload)
    {
        if (payload.Length > MaxPayloadBytes)
            throw new RepositoryException($"payload is {payload.Length} bytes, over the {MaxPayloadBytes}-byte limit");
        var node = CanonicalJson.Parse(payload);
        if (!CanonicalJson.Serialize(node).AsSpan().SequenceEqual(payload))
            throw new RepositoryException("payload is not in canonical JSON form: it is not what TUF signatures cover");
        var type = node["_type"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)node["_type"] : null;
        if (!Role.TopLevel.Contains(type))
            throw new RepositoryException($"payload is not TUF metadata: _type is \"{type}\"");
    }
}
