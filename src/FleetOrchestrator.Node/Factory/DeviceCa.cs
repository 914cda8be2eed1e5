using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetOrchestrator.ControlPlane.Security;

namespace FleetOrchestrator.Node.Factory;

/// <summary>
/// The factory's device certificate authority (ECDSA P-256): it signs every device certificate and the
/// gateway's server certificate, so a device trusts the gateway and the gateway trusts devices through it.
/// </summary>
public sealed class DeviceCa : IDisposable
{
    public static readonly TimeSpan GatewayLifetime = TimeSpan.FromDays(90);
    private readonly CertificateAuthority _ca;

    private DeviceCa(CertificateAuthority ca) => _ca = ca;

    /// <summary>The CA certificate with its private key.</summary>
    public X509Certificate2 Certificate => _ca.Certificate;

    public static DeviceCa Create(string factory) => new(CertificateAuthority.Create($"CN={factory} device CA, O={factory}"));

    public static DeviceCa Load(string certificatePem, string keyPem) => new(CertificateAuthority.Load(certificatePem, keyPem));

    public string CertificatePem => _ca.CertificatePem;

    public string PrivateKeyPem => _ca.PrivateKeyPem;

    /// <summary>
    /// A client certificate for device <paramref name="deviceName"/> from its PEM CSR: the CSR must be signed by
    /// its own key (ECDSA P-256 or RSA of at least 2048 bits) and name the device as its common name. Valid for
    /// <paramref name="lifetime"/> (<c>fleet.gateway.device-certificate-lifetime</c>), never past the CA's own end.
    /// </summary>
    public X509Certificate2 IssueDeviceCertificate(string deviceName, string csrPem, TimeSpan lifetime)
    {
        CertificateRequest csr;
        try
        {
            csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        // A key .NET cannot read (Ed25519, for one) fails here, as a CryptographicException or a NotSupportedException.
        catch (Exception e) when (e is CryptographicException or NotSupportedException)
        {
            throw new DeviceCaException($"the CSR is not a valid self-signed PKCS#10 request with a supported key ({SupportedKeys}): {e.Message}");
        }
        CheckKey(csr.PublicKey);
        var commonName = new X500DistinguishedName(csr.SubjectName.RawData).GetCommonName();
        if (commonName != deviceName)
            throw new DeviceCaException($"the CSR names \"{commonName}\" but the device registers as \"{deviceName}\"");
        var request = new CertificateRequest(new X500DistinguishedName($"CN={deviceName}"), csr.PublicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([CertificateAuthority.ClientAuth], false));
        return _ca.Sign(request, lifetime);
    }

    /// <summary>A server certificate for the gateway, valid for <paramref name="hostNames"/> (names or IP addresses).</summary>
    public X509Certificate2 IssueGatewayCertificate(IEnumerable<string> hostNames) =>
        _ca.IssueWithNewKey("CN=fleet gateway", hostNames, [CertificateAuthority.ServerAuth], GatewayLifetime);

    /// <summary>Whether <paramref name="certificate"/> was issued by this CA for client authentication and is valid now.</summary>
    public bool Issued(X509Certificate2 certificate, out string problem) =>
        CertificateAuthority.Chains(certificate, [Certificate], [CertificateAuthority.ClientAuth], out problem);

    private const string SupportedKeys = "use ECDSA P-256 or RSA >= 2048";

    private static void CheckKey(PublicKey key)
    {
        if (key.GetECDsaPublicKey() is { } ecdsa)
        {
            using (ecdsa)
                if (ecdsa.ExportParameters(false).Curve.Oid.Value == ECCurve.NamedCurves.nistP256.Oid.Value) return;
            throw new DeviceCaException("the CSR key is ECDSA on a curve other than P-256");
        }
        if (key.GetRSAPublicKey() is { } rsa)
        {
            using (rsa)
                if (rsa.KeySize >= 2048) return;
            throw new DeviceCaException("the CSR key is RSA below 2048 bits");
        }
        throw new DeviceCaException($"the CSR key algorithm {key.Oid.Value} is not supported; {SupportedKeys}");
    }

    public void Dispose() => _ca.Dispose();
}

public sealed class DeviceCaException(string message) : Exception(message);

internal static class DistinguishedNames
{
    public static string? GetCommonName(this X500DistinguishedName name) =>
        name.EnumerateRelativeDistinguishedNames().FirstOrDefault(r => r.GetSingleElementType().Value == "2.5.4.3")?.GetSingleElementValue();
}
