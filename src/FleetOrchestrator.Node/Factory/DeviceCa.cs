using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FleetOrchestrator.Node.Factory;

/// <summary>
/// The factory's device certificate authority (ECDSA P-256): it signs every device certificate and the
/// gateway's server certificate, so a device trusts the gateway and the gateway trusts devices through it.
/// </summary>
public sealed class DeviceCa : IDisposable
{
    public static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    public static readonly TimeSpan DeviceLifetime = TimeSpan.FromDays(825);
    public static readonly TimeSpan GatewayLifetime = TimeSpan.FromDays(90);
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    private DeviceCa(X509Certificate2 certificate) => Certificate = certificate;

    /// <summary>The CA certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public static DeviceCa Create(string factory)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={factory} device CA, O={factory}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new DeviceCa(request.CreateSelfSigned(now.AddMinutes(-5), now + CaLifetime));
    }

    public static DeviceCa Load(string certificatePem, string keyPem) =>
        new(X509Certificate2.CreateFromPem(certificatePem, keyPem));

    public string CertificatePem => Certificate.ExportCertificatePem() + "\n";

    public string PrivateKeyPem => Certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n";

    /// <summary>
    /// A client certificate for device <paramref name="deviceName"/> from its PEM CSR: the CSR must be signed by
    /// its own key (ECDSA P-256 or RSA of at least 2048 bits) and name the device as its common name.
    /// </summary>
    public X509Certificate2 IssueDeviceCertificate(string deviceName, string csrPem)
    {
        CertificateRequest csr;
        try
        {
            csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (CryptographicException e)
        {
            throw new DeviceCaException($"the CSR is not a valid self-signed PKCS#10 request: {e.Message}");
        }
        CheckKey(csr.PublicKey);
        var commonName = new X500DistinguishedName(csr.SubjectName.RawData).GetCommonName();
        if (commonName != deviceName)
            throw new DeviceCaException($"the CSR names \"{commonName}\" but the device registers as \"{deviceName}\"");
        var request = new CertificateRequest(new X500DistinguishedName($"CN={deviceName}"), csr.PublicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuthOid)], false));
        return Sign(request, DeviceLifetime);
    }

    /// <summary>A server certificate for the gateway, valid for <paramref name="hostNames"/> (names or IP addresses).</summary>
    public X509Certificate2 IssueGatewayCertificate(IEnumerable<string> hostNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in hostNames)
        {
            if (IPAddress.TryParse(name, out var address)) names.AddIpAddress(address);
            else names.AddDnsName(name);
        }
        var request = new CertificateRequest("CN=fleet gateway", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid)], false));
        using var issued = Sign(request, GatewayLifetime);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Kestrel needs a key it can use for TLS: round-trip through PKCS#12 so the key is not ephemeral.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Whether <paramref name="certificate"/> was issued by this CA for client authentication and is valid now.</summary>
    public bool Issued(X509Certificate2 certificate, out string problem)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        if (chain.Build(certificate))
        {
            problem = "";
            return true;
        }
        problem = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Distinct());
        return false;
    }

    private X509Certificate2 Sign(CertificateRequest request, TimeSpan lifetime)
    {
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + lifetime < Certificate.NotAfter ? now + lifetime : new DateTimeOffset(Certificate.NotAfter);
        return request.Create(Certificate, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
    }

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
        throw new DeviceCaException($"the CSR key algorithm {key.Oid.Value} is not supported; use ECDSA P-256 or RSA >= 2048");
    }

    public void Dispose() => Certificate.Dispose();
}

public sealed class DeviceCaException(string message) : Exception(message);

internal static class DistinguishedNames
{
    public static string? GetCommonName(this X500DistinguishedName name) =>
        name.EnumerateRelativeDistinguishedNames().FirstOrDefault(r => r.GetSingleElementType().Value == "2.5.4.3")?.GetSingleElementValue();
}
