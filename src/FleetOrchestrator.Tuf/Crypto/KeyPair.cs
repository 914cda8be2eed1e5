using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using TufKey = FleetOrchestrator.Tuf.Metadata.Key;

namespace FleetOrchestrator.Tuf.Crypto;

/// <summary>Something that signs TUF metadata: its public <see cref="TufKey"/>, that key's id, and a sign operation.</summary>
public interface ISigner
{
    TufKey PublicKey { get; }
    string KeyId { get; }
    byte[] Sign(ReadOnlySpan<byte> data);
}

/// <summary>A private key of one scheme, able to sign and to be stored as a PKCS#8 PEM (optionally passphrase-encrypted).</summary>
public sealed class KeyPair : ISigner, IDisposable
{
    private const string Ed25519Oid = "1.3.101.112";
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const int Pbkdf2Iterations = 100_000;

    private readonly byte[] _pkcs8;
    private readonly IDisposable _privateKey;

    private KeyPair(string scheme, byte[] pkcs8, IDisposable privateKey, string publicValue)
    {
        _pkcs8 = pkcs8;
        _privateKey = privateKey;
        PublicKey = new TufKey(KeyScheme.KeyTypeOf(scheme), scheme, publicValue);
    }

    public TufKey PublicKey { get; }
    public string KeyId => PublicKey.KeyId;
    public string Scheme => PublicKey.Scheme;

    public static KeyPair Generate(string scheme = KeyScheme.Default) => scheme switch
    {
        KeyScheme.Ed25519 => FromPkcs8(Ed25519Pkcs8(NSec.Cryptography.Key.Create(SignatureAlgorithm.Ed25519, Exportable))),
        KeyScheme.EcdsaP256 => FromPkcs8(Export(ECDsa.Create(ECCurve.NamedCurves.nistP256))),
        KeyScheme.RsaPssSha256 => FromPkcs8(Export(RSA.Create(3072))),
        _ => throw new ArgumentException($"unsupported signature scheme \"{scheme}\"; supported: {string.Join(", ", KeyScheme.All)}", nameof(scheme)),
    };

    public byte[] Sign(ReadOnlySpan<byte> data) => _privateKey switch
    {
        NSec.Cryptography.Key ed25519 => SignatureAlgorithm.Ed25519.Sign(ed25519, data),
        ECDsa ecdsa => ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
        RSA rsa => rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
        _ => throw new InvalidOperationException("unreachable: unknown private key type"),
    };

    /// <summary>The private key as PEM: "PRIVATE KEY", or "ENCRYPTED PRIVATE KEY" (PBES2, PBKDF2-SHA256, AES-256-CBC) with a passphrase.</summary>
    public string ExportPkcs8Pem(string? passphrase = null)
    {
        if (string.IsNullOrEmpty(passphrase))
            return PemEncoding.WriteString("PRIVATE KEY", _pkcs8) + "\n";
        var encrypted = EncryptedPrivateKeyInfoFactory.CreateEncryptedPrivateKeyInfo(
            NistObjectIdentifiers.IdAes256Cbc, PkcsObjectIdentifiers.IdHmacWithSha256, passphrase.ToCharArray(),
            RandomNumberGenerator.GetBytes(16), Pbkdf2Iterations, new SecureRandom(), PrivateKeyInfo.GetInstance(_pkcs8));
        return PemEncoding.WriteString("ENCRYPTED PRIVATE KEY", encrypted.GetEncoded()) + "\n";
    }

    /// <summary>Reads a PKCS#8 PEM (plain or encrypted); the scheme follows from the key's algorithm.</summary>
    public static KeyPair FromPkcs8Pem(string pem, string? passphrase = null)
    {
        if (!PemEncoding.TryFind(pem, out var fields))
            throw new KeyFileException("no PEM block found");
        var label = pem[fields.Label];
        var der = Convert.FromBase64String(pem[fields.Base64Data]);
        return label switch
        {
            "PRIVATE KEY" => FromPkcs8(der),
            "ENCRYPTED PRIVATE KEY" when string.IsNullOrEmpty(passphrase) => throw new KeyFileException("the private key is encrypted and no passphrase was given"),
            "ENCRYPTED PRIVATE KEY" => FromPkcs8(Decrypt(der, passphrase!)),
            _ => throw new KeyFileException($"expected a \"PRIVATE KEY\" or \"ENCRYPTED PRIVATE KEY\" PEM block, found \"{label}\""),
        };
    }

    /// <summary>Writes the PEM to a new file created with mode 0600 (never readable by others, not even briefly).</summary>
    public async Task SaveAsync(string path, string? passphrase = null, CancellationToken cancellation = default)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using var file = new FileStream(path, options);
        await file.WriteAsync(Encoding.ASCII.GetBytes(ExportPkcs8Pem(passphrase)), cancellation);
    }

    public static async Task<KeyPair> LoadAsync(string path, string? passphrase = null, CancellationToken cancellation = default)
    {
        var info = new FileInfo(path);
        if (info.Exists && info.Length > 64 * 1024)
            throw new KeyFileException($"{path} is {info.Length} bytes, too large for a private key file");
        return FromPkcs8Pem(await File.ReadAllTextAsync(path, cancellation), passphrase);
    }

    public void Dispose() => _privateKey.Dispose();

    private static KeyCreationParameters Exportable => new() { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };

    private static byte[] Ed25519Pkcs8(NSec.Cryptography.Key key)
    {
        using (key) return key.Export(KeyBlobFormat.PkixPrivateKey);
    }

    private static byte[] Export(AsymmetricAlgorithm key)
    {
        using (key) return key.ExportPkcs8PrivateKey();
    }

    private static byte[] Decrypt(byte[] der, string passphrase)
    {
        try
        {
            var info = PrivateKeyInfoFactory.CreatePrivateKeyInfo(passphrase.ToCharArray(), EncryptedPrivateKeyInfo.GetInstance(der));
            return info.GetEncoded();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new KeyFileException("cannot decrypt the private key: wrong passphrase or damaged file", e);
        }
    }

    private static KeyPair FromPkcs8(byte[] pkcs8)
    {
        try
        {
            switch (AlgorithmOid(pkcs8))
            {
                case Ed25519Oid:
                    var ed25519 = NSec.Cryptography.Key.Import(SignatureAlgorithm.Ed25519, pkcs8, KeyBlobFormat.PkixPrivateKey, Exportable);
                    return new KeyPair(KeyScheme.Ed25519, pkcs8, ed25519, Convert.ToHexStringLower(ed25519.PublicKey.Export(KeyBlobFormat.RawPublicKey)));
                case EcPublicKeyOid:
                    var ecdsa = ECDsa.Create();
                    ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
                    if (ecdsa.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
                        throw new KeyFileException($"only P-256 ECDSA keys are supported, found curve {ecdsa.ExportParameters(false).Curve.Oid.FriendlyName}");
                    return new KeyPair(KeyScheme.EcdsaP256, pkcs8, ecdsa, ecdsa.ExportSubjectPublicKeyInfoPem() + "\n");
                case RsaOid:
                    var rsa = RSA.Create();
                    rsa.ImportPkcs8PrivateKey(pkcs8, out _);
                    return new KeyPair(KeyScheme.RsaPssSha256, pkcs8, rsa, rsa.ExportSubjectPublicKeyInfoPem() + "\n");
                case var other:
                    throw new KeyFileException($"unsupported private key algorithm {other}; expected ed25519, EC P-256 or RSA");
            }
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException or FormatException)
        {
            throw new KeyFileException($"malformed PKCS#8 private key: {e.Message}", e);
        }
    }

    /// <summary>The algorithm OID of a PKCS#8 PrivateKeyInfo (SEQUENCE { version, SEQUENCE { OID, ... }, ... }).</summary>
    private static string AlgorithmOid(byte[] pkcs8)
    {
        var info = new AsnReader(pkcs8, AsnEncodingRules.DER).ReadSequence();
        info.ReadInteger();
        return info.ReadSequence().ReadObjectIdentifier();
    }
}

/// <summary>A private key file or PEM text that cannot be read (format, algorithm, passphrase).</summary>
public sealed class KeyFileException(string message, Exception? inner = null) : Exception(message, inner);
