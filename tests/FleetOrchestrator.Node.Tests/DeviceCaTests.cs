using FleetOrchestrator.Node.Factory;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace FleetOrchestrator.Node.Tests;

public sealed class DeviceCaTests
{
    [Fact]
    public void A_csr_with_an_ed25519_key_is_refused_naming_the_supported_key_types()
    {
        // .NET cannot read Ed25519 keys: the CSR is made with BouncyCastle, as a device's own tooling could.
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var csr = new Pkcs10CertificationRequest(new Asn1SignatureFactory("Ed25519", pair.Private), new X509Name("CN=device-9"), pair.Public, null);
        var pem = "-----BEGIN CERTIFICATE REQUEST-----\n" + Convert.ToBase64String(csr.GetEncoded(), Base64FormattingOptions.InsertLineBreaks)
            + "\n-----END CERTIFICATE REQUEST-----\n";
        using var ca = DeviceCa.Create("acme");

        var refused = Assert.Throws<DeviceCaException>(() => ca.IssueDeviceCertificate("device-9", pem, TimeSpan.FromDays(1)));

        Assert.Contains("use ECDSA P-256 or RSA >= 2048", refused.Message);
    }
}
