using FleetOrchestrator.Tuf.Crypto;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>
/// Checks that a role's threshold of distinct trusted keys signed a document: each key counts once (also when
/// listed under two keyids: distinctness is by public key material), signatures by keys the role does not list
/// are ignored, and signatures that fail to verify do not count.
/// </summary>
public static class ThresholdVerifier
{
    /// <summary>Throws <see cref="SignatureThresholdException"/> unless the threshold is met; returns the number of valid signatures.</summary>
    public static int Verify<T>(string roleName, RoleKeys role, IReadOnlyDictionary<string, Key> keys, SignedMetadata<T> envelope)
        where T : SignedPayload, ISignedPayload<T> =>
        Verify(roleName, role, keys, envelope.SignedBytes.Span, envelope.Signatures);

    /// <summary>As <see cref="Verify{T}"/>, over the canonical bytes of <c>signed</c> and its signatures.</summary>
    public static int Verify(string roleName, RoleKeys role, IReadOnlyDictionary<string, Key> keys, ReadOnlySpan<byte> signedBytes, IReadOnlyList<Signature> signatures)
    {
        var valid = CountValid(role, keys, signedBytes, signatures, out var invalid, out var unknown);
        if (valid < role.Threshold)
            throw new SignatureThresholdException(roleName, valid, role.Threshold,
                $"{signatures.Count} signature(s) present, {invalid} failed to verify, {unknown} by keys the role does not list");
        return valid;
    }

    /// <summary>The number of distinct role keys whose signature verifies.</summary>
    public static int CountValid(RoleKeys role, IReadOnlyDictionary<string, Key> keys, ReadOnlySpan<byte> signedBytes, IReadOnlyList<Signature> signatures) =>
        CountValid(role, keys, signedBytes, signatures, out _, out _);

    private static int CountValid(RoleKeys role, IReadOnlyDictionary<string, Key> keys, ReadOnlySpan<byte> signedBytes,
        IReadOnlyList<Signature> signatures, out int invalid, out int unknown)
    {
        var counted = new HashSet<string>(StringComparer.Ordinal);
        invalid = 0;
        unknown = 0;
        foreach (var signature in signatures)
        {
            if (!role.KeyIds.Contains(signature.KeyId) || !keys.TryGetValue(signature.KeyId, out var key))
            {
                unknown++;
                continue;
            }
            if (counted.Contains(key.PublicValue)) continue;
            if (SignatureVerifier.Verify(key, signedBytes, signature.Sig)) counted.Add(key.PublicValue);
            else invalid++;
        }
        return counted.Count;
    }
}
