using System.Numerics;
using System.Security.Cryptography;

namespace FleetOrchestrator.Tuf.Crypto;

/// <summary>
/// RSASSA-PSS / SHA-256 / MGF1-SHA-256 verification that recovers the salt from the encoded message
/// (RFC 8017 §9.1.2), so any salt length verifies — .NET's verifier only accepts a salt as long as the hash,
/// while securesystemslib signatures may use the maximum salt length.
/// </summary>
internal sealed class RsaPss
{
    private const int HashLength = 32;
    private readonly BigInteger _modulus;
    private readonly BigInteger _exponent;
    private readonly int _modulusBits;
    private readonly int _modulusBytes;

    private RsaPss(RSAParameters parameters)
    {
        _modulus = new BigInteger(parameters.Modulus, isUnsigned: true, isBigEndian: true);
        _exponent = new BigInteger(parameters.Exponent, isUnsigned: true, isBigEndian: true);
        _modulusBits = (int)_modulus.GetBitLength();
        _modulusBytes = (_modulusBits + 7) / 8;
    }

    public static RsaPss FromPem(string pem)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        if (rsa.KeySize < 2048) throw new CryptographicException($"RSA keys below 2048 bits are refused, found {rsa.KeySize}");
        return new RsaPss(rsa.ExportParameters(includePrivateParameters: false));
    }

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != _modulusBytes) return false;
        var s = new BigInteger(signature, isUnsigned: true, isBigEndian: true);
        if (s >= _modulus) return false;
        var m = BigInteger.ModPow(s, _exponent, _modulus);
        var emBits = _modulusBits - 1;
        var emLength = (emBits + 7) / 8;
        if (m.GetByteCount(isUnsigned: true) > emLength) return false;
        var em = new byte[emLength];
        m.TryWriteBytes(em.AsSpan(emLength - m.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return VerifyEncoding(SHA256.HashData(data), em, emBits);
    }

    /// <summary>EMSA-PSS-VERIFY with the salt length taken from where the 0x01 separator is.</summary>
    private static bool VerifyEncoding(ReadOnlySpan<byte> messageHash, byte[] em, int emBits)
    {
        var emLength = em.Length;
        if (emLength < HashLength + 2 || em[^1] != 0xbc) return false;
        var dbLength = emLength - HashLength - 1;
        var h = em.AsSpan(dbLength, HashLength);
        var unusedBits = 8 * emLength - emBits;
        var topMask = (byte)(0xff >> unusedBits);
        if ((em[0] & ~topMask) != 0) return false;
        var db = Mgf1(h, dbLength);
        for (var i = 0; i < dbLength; i++) db[i] ^= em[i];
        db[0] &= topMask;
        var separator = db.AsSpan().IndexOfAnyExcept((byte)0);
        if (separator < 0 || db[separator] != 0x01) return false;
        var salt = db.AsSpan(separator + 1);
        var mPrime = new byte[8 + HashLength + salt.Length];
        messageHash.CopyTo(mPrime.AsSpan(8));
        salt.CopyTo(mPrime.AsSpan(8 + HashLength));
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(mPrime), h);
    }

    private static byte[] Mgf1(ReadOnlySpan<byte> seed, int length)
    {
        var mask = new byte[length];
        var input = new byte[seed.Length + 4];
        seed.CopyTo(input);
        for (uint counter = 0, offset = 0; offset < length; counter++, offset += HashLength)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(seed.Length), counter);
            var block = SHA256.HashData(input);
            block.AsSpan(0, (int)Math.Min(HashLength, length - offset)).CopyTo(mask.AsSpan((int)offset));
        }
        return mask;
    }
}
