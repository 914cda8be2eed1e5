using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FleetOrchestrator.ControlPlane.Security;

/// <summary>
/// An ECDSA P-256 certificate authority with its private key: what the device CA and the cluster CA share
/// (creation, PEM files, issuing, checking that a certificate chains to it).
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(3650);
    public static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    public static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");

    private CertificateAuthority(X509Certificate2 certificate) => Certificate = certificate;

    /// <summary>The CA certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>A new self-signed CA that may sign end-entity certificates only (path length 0).</summary>
    public static CertificateAuthority Create(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new CertificateAuthority(request.CreateSelfSigned(now.AddMinutes(-5), now + Lifetime));
    }

    public static CertificateAuthority Load(string certificatePem, string keyPem) =>
        new(X509Certificate2.CreateFromPem(certificatePem, keyPem));

    public string CertificatePem => Certificate.ExportCertificatePem() + "\n";

    public string PrivateKeyPem => Certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n";

    /// <summary>Signs <paramref name="request"/> for <paramref name="lifetime"/>, never past the CA's own end.</summary>
    public X509Certificate2 Sign(CertificateRequest request, TimeSpan lifetime)
    {
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + lifetime < Certificate.NotAfter ? now + lifetime : new DateTimeOffset(Certificate.NotAfter);
        return request.Create(Certificate, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
    }

    /// <summary>
    /// An end-entity certificate with a new P-256 key, for <paramref name="usages"/> (extended key usages), valid for
    /// <paramref name="hostNames"/> (names or IP addresses), returned with its private key usable for TLS.
    /// </summary>
    public X509Certificate2 IssueWithNewKey(string subject, IEnumerable<string> hostNames, Oid[] usages, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in hostNames)
        {
            if (IPAddress.TryParse(name, out var address)) names.AddIpAddress(address);
            else names.AddDnsName(name);
        }
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([.. usages], false));
        using var issued = Sign(request, lifetime);
        using var withKey = issued.CopyWithPrivateKey(key);
        return UsableForTls(withKey);
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> chains to one of <paramref name="anchors"/> alone (no system store), is valid
    /// now and carries every one of <paramref name="usages"/>; otherwise what is wrong.
    /// </summary>
    public static bool Chains(X509Certificate2 certificate, X509Certificate2Collection anchors, Oid[] usages, out string problem)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (var usage in usages) chain.ChainPolicy.ApplicationPolicy.Add(usage);
        if (chain.Build(certificate))
        {
            problem = "";
            return true;
        }
        problem = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Distinct());
        return false;
    }

    /// <summary>A certificate whose key TLS can use: round-trip through PKCS#12 so the key is not ephemeral.</summary>
    public static X509Certificate2 UsableForTls(X509Certificate2 withKey) =>
        X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);

    public void Dispose() => Certificate.Dispose();
}
