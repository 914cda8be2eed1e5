using System.Text;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Tuf.Tests.CryptoTests;

public class KeySchemeTests
{
    private static readonly byte[] Data = Encoding.UTF8.GetBytes("{\"_type\":\"targets\",\"version\":1}");

    public static TheoryData<string> Schemes => new(KeyScheme.All);

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Signature_verifies_with_its_own_key(string scheme)
    {
        using var pair = KeyPair.Generate(scheme);
        var signature = Convert.ToHexStringLower(pair.Sign(Data));
        Assert.True(SignatureVerifier.Verify(pair.PublicKey, Data, signature));
        Assert.Equal(scheme, pair.PublicKey.Scheme);
        Assert.Equal(KeyScheme.KeyTypeOf(scheme), pair.PublicKey.KeyType);
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Subtly_bad_signatures_are_refused_without_throwing(string scheme)
    {
        using var pair = KeyPair.Generate(scheme);
        using var other = KeyPair.Generate(scheme);
        var signature = pair.Sign(Data);

        var flipped = (byte[])signature.Clone();
        flipped[flipped.Length / 2] ^= 0x01;
        Assert.False(SignatureVerifier.Verify(pair.PublicKey, Data, Convert.ToHexStringLower(flipped)));
        Assert.False(SignatureVerifier.Verify(pair.PublicKey, Data, Convert.ToHexStringLower(signature[..^1])));
        Assert.False(SignatureVerifier.Verify(other.PublicKey, Data, Convert.ToHexStringLower(signature)));
        var changedData = (byte[])Data.Clone();
        changedData[^2] = (byte)'2';
        Assert.False(SignatureVerifier.Verify(pair.PublicKey, changedData, Convert.ToHexStringLower(signature)));
        Assert.False(SignatureVerifier.Verify(pair.PublicKey, Data, "zz" + Convert.ToHexStringLower(signature)[2..]));
        Assert.False(SignatureVerifier.Verify(pair.PublicKey, Data, ""));
    }

    [Fact]
    public void Malformed_public_keys_and_unknown_schemes_verify_as_false()
    {
        using var pair = KeyPair.Generate();
        var sig = Convert.ToHexStringLower(pair.Sign(Data));
        Assert.False(SignatureVerifier.Verify(new Key("ed25519", "ed25519", "not-hex"), Data, sig));
        Assert.False(SignatureVerifier.Verify(new Key("ed25519", "ed448", pair.PublicKey.PublicValue), Data, sig));
        Assert.False(SignatureVerifier.Verify(new Key("rsa", "ed25519", pair.PublicKey.PublicValue), Data, sig));
        Assert.False(SignatureVerifier.Verify(new Key("rsa", KeyScheme.RsaPssSha256, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), Data, sig));
    }

    // Made with python cryptography 48: PSS(MGF1(SHA256), salt_length=PSS.MAX_LENGTH), the salt securesystemslib used,
    // which .NET's own RSA.VerifyData refuses.
    private const string MaxSaltRsaPublicPem = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr0wEyjOOTxjoUfgqekkg\nzPj825c9ARsRs7xdQ5Sqwy7IYRU5OiP1ZiK/6S0r5lk3tCI68U/hdAKwUOmm8l9G\nspWo0Llj9nFUU2ezxkbkYL7H87IZfVfT1rUYVQagdb1apQOxwHFEJ9WOvtMgpTfv\nAOX+VCjdfb26xl9ZdQ+AdxmbphXHCR1xcjYd/b2FLYkZHHyEFaXSwFbKhPe7r/ci\nsu3toIZAqqqk2kG7aeOuIdIh2WsoSoaB0pAyN/dzVYds2/RhtbBILauP/Lt4zX0/\n8EAt+FgaSz7IPszAnAgoVv7h1Dyc5cVR2ubwBMEN5O0qZpfobbs3gMLhR96mTqsL\nywIDAQAB\n-----END PUBLIC KEY-----\n";
    private const string MaxSaltRsaSignature = "113da4c93d1da22eb00a003555cdcdf7494ee2d24b0fe7b776e7f14042beeeae10551db8dd9692ed9478112e5bce82ef33cafb1fc8e4797623c50c4e078f4d56bd0b8b2d23400122e3341d3fe0776af2802ade08c04d6ca614dcc7317b9b00179b693f0b7a3313b3398b516c91d4a8624248215184a33720fec77038cb73c61add3429791cf4a369aabe768f1b819e9fc8d9d141436d451bfe0507fb9ebedbbd3f0dfc169192b01272b117b24255b4b4ffb0f8c1f2f9bdc9aa3fa41a555734977d70ea3a10c1acfbe83483579c69855ff2753f24d9c850c3cfdb840173b988aa80e10f3d492384d333e0f38e4a3ea2bc6966193072ce108b491a3a871ea9e7f7";

    [Fact]
    public void Rsa_pss_accepts_a_maximum_length_salt_that_dotnet_refuses()
    {
        var key = new Key("rsa", KeyScheme.RsaPssSha256, MaxSaltRsaPublicPem);
        Assert.True(SignatureVerifier.Verify(key, Data, MaxSaltRsaSignature));

        using var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportFromPem(MaxSaltRsaPublicPem);
        Assert.False(rsa.VerifyData(Data, Convert.FromHexString(MaxSaltRsaSignature),
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pss));

        var flipped = Convert.FromHexString(MaxSaltRsaSignature);
        flipped[100] ^= 0x80;
        Assert.False(SignatureVerifier.Verify(key, Data, Convert.ToHexStringLower(flipped)));
    }

    [Fact]
    public void Keyid_is_sha256_of_the_canonical_key_object()
    {
        // python3: hashlib.sha256(b'{"keytype":"ed25519","keyval":{"public":"d7a0...c7d8"},"scheme":"ed25519"}').hexdigest()
        var key = new Key("ed25519", "ed25519", "d7a0b9a1c2e3f405162738495a6b7c8d9eaf0b1c2d3e4f5061728394a5b6c7d8");
        Assert.Equal("1fb169cd049fc10e836745c796d8e38d2b778b2a2c58997364e01b21421a488c", key.KeyId);
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public async Task Private_key_file_is_created_0600_and_loads_back(string scheme)
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "key.pem");
        using var pair = KeyPair.Generate(scheme);
        await pair.SaveAsync(path);

        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", await File.ReadAllTextAsync(path));
        using var loaded = await KeyPair.LoadAsync(path);
        Assert.Equal(pair.KeyId, loaded.KeyId);
        Assert.True(SignatureVerifier.Verify(pair.PublicKey, Data, Convert.ToHexStringLower(loaded.Sign(Data))));
        await Assert.ThrowsAsync<IOException>(() => pair.SaveAsync(path));
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public async Task Passphrase_round_trip_and_wrong_passphrase(string scheme)
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "key.pem");
        using var pair = KeyPair.Generate(scheme);
        await pair.SaveAsync(path, "correct horse");

        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", await File.ReadAllTextAsync(path));
        using var loaded = await KeyPair.LoadAsync(path, "correct horse");
        Assert.Equal(pair.KeyId, loaded.KeyId);
        var wrong = await Assert.ThrowsAsync<KeyFileException>(() => KeyPair.LoadAsync(path, "wrong"));
        Assert.Contains("wrong passphrase", wrong.Message);
        var none = await Assert.ThrowsAsync<KeyFileException>(() => KeyPair.LoadAsync(path));
        Assert.Contains("no passphrase", none.Message);
    }
}
