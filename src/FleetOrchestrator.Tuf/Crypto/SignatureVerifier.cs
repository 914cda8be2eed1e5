using System.Security.Cryptography;
using FleetOrchestrator.Tuf.Metadata;
using NSec.Cryptography;
using Key = FleetOrchestrator.Tuf.Metadata.Key;

namespace FleetOrchestrator.Tuf.Crypto;

/// <summary>
/// Verifies one signature by a TUF <see cref="Key"/>. Never throws for bad input: a malformed key, an
/// unsupported scheme, non-hex or mis-sized signature bytes all verify as false. The parsed public key
/// is cached on the <see cref="Key"/> so repeated verifications cost only the signature check.
/// </summary>
public static class SignatureVerifier
{
    public static bool Verify(Key key, ReadOnlySpan<byte> data, string signatureHex)
    {
        if (signatureHex.Length % 2 != 0 || signatureHex.Length > 2 * 1024) return false;
        Span<byte> signature = stackalloc byte[signatureHex.Length / 2];
        if (Convert.FromHexString(signatureHex, signature, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != signature.Length)
            return false;
        var verifier = key.VerifierCache ??= CreateVerifier(key);
        return verifier switch
        {
            PublicKey ed25519 => SignatureAlgorithm.Ed25519.Verify(ed25519, data, signature),
            EcdsaVerifier ecdsa => ecdsa.Verify(data, signature),
            RsaPss rsa => rsa.Verify(data, signature),
            _ => false,
        };
    }

    /// <summary>The parsed public key, or a marker object that verifies nothing when the key is unusable.</summary>
    private static object CreateVerifier(Key key)
    {
        if (!KeyScheme.All.Contains(key.Scheme) || !KeyScheme.KeyTypeFits(key.KeyType, key.Scheme)) return Unusable;
        try
        {
            return key.Scheme switch
            {
                KeyScheme.Ed25519 => PublicKey.Import(SignatureAlgorithm.Ed25519, Convert.FromHexString(key.PublicValue), KeyBlobFormat.RawPublicKey),
                KeyScheme.EcdsaP256 => EcdsaVerifier.FromPem(key.PublicValue),
                _ => RsaPss.FromPem(key.PublicValue),
            };
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            return Unusable;
        }
    }

    private static readonly object Unusable = new();

    /// <summary>ECDSA P-256 / SHA-256 over DER signatures; a lock because ECDsa instances are not documented thread-safe.</summary>
    private sealed class EcdsaVerifier(ECDsa ecdsa)
    {
        public static EcdsaVerifier FromPem(string pem)
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportFromPem(pem);
            if (ecdsa.KeySize != 256) throw new CryptographicException($"expected a P-256 key, found a {ecdsa.KeySize}-bit curve");
            return new EcdsaVerifier(ecdsa);
        }

        public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
        {
            lock (this)
            {
                try
                {
                    return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
                }
                catch (CryptographicException)
                {
                    return false;
                }
            }
        }
    }
}
