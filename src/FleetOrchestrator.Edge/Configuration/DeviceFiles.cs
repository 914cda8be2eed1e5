using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FleetOrchestrator.Edge.Configuration;

/// <summary>
/// The files <c>fleet-edge register</c> leaves in the data directory, under the standard names so curl or any
/// TUF client can talk to the gateway as this device.
/// </summary>
public sealed class DeviceFiles(string dataDirectory)
{
    public string DataDirectory { get; } = Path.GetFullPath(dataDirectory);

    /// <summary>The device's private key (PKCS#8 PEM, mode 0600). It never leaves the device.</summary>
    public string KeyFile => Path.Combine(DataDirectory, "device.key");
    public string CertificateFile => Path.Combine(DataDirectory, "device.crt");
    /// <summary>A renewed key and certificate on their way in (<see cref="ReplaceCertificate"/>).</summary>
    public string NextKeyFile => KeyFile + ".next";
    public string NextCertificateFile => CertificateFile + ".next";
    /// <summary>The factory's device CA: the only CA trusted for the gateway's certificate.</summary>
    public string GatewayCaFile => Path.Combine(DataDirectory, "gateway-ca.crt");
    public string TrustedRootFile => Path.Combine(DataDirectory, "trusted-root.json");
    public string SettingsFile => Path.Combine(DataDirectory, EdgeSettings.ConfigFileName);

    /// <summary>Every file a registration writes; any one present means the directory is taken.</summary>
    public IReadOnlyList<string> RegistrationFiles => [KeyFile, CertificateFile, GatewayCaFile, TrustedRootFile, SettingsFile];

    /// <summary>The device certificate with its private key, usable as a TLS client certificate (after finishing a replacement a crash interrupted).</summary>
    public X509Certificate2 LoadClientCertificate()
    {
        CompleteCertificateReplacement();
        using var pem = X509Certificate2.CreateFromPemFile(CertificateFile, KeyFile);
        // A key loaded from PEM is ephemeral; TLS wants one it can hand to the platform: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    public X509Certificate2 LoadGatewayCa() => X509CertificateLoader.LoadCertificateFromFile(GatewayCaFile);

    /// <summary>The device name: the common name of its certificate.</summary>
    public string DeviceName()
    {
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(CertificateFile);
        return certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
    }

    /// <summary>Whether <paramref name="server"/> chains to <paramref name="ca"/> alone (no system roots).</summary>
    public static bool IssuedBy(X509Certificate2 server, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(server);
    }

    /// <summary>
    /// Replaces the key and certificate with a renewed pair, so that a crash at any point leaves a working pair: the new
    /// pair is written beside the old one (<see cref="NextKeyFile"/>, then <see cref="NextCertificateFile"/>, whose presence
    /// marks it complete), then renamed over it, key first. Until the certificate is renamed the old one stays in place.
    /// </summary>
    public void ReplaceCertificate(string keyPem, string certificatePem)
    {
        File.Delete(NextCertificateFile);
        WriteAtomically(NextKeyFile, keyPem, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        WriteAtomically(NextCertificateFile, certificatePem, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        CompleteCertificateReplacement();
    }

    /// <summary>
    /// Finishes what <see cref="ReplaceCertificate"/> began: a complete new pair is moved in (its key may be in already);
    /// a lone new key (the certificate never arrived) is dropped, and the old pair stays.
    /// </summary>
    public void CompleteCertificateReplacement()
    {
        if (!File.Exists(NextCertificateFile))
        {
            File.Delete(NextKeyFile);
            return;
        }
        if (File.Exists(NextKeyFile)) File.Move(NextKeyFile, KeyFile, overwrite: true);
        File.Move(NextCertificateFile, CertificateFile, overwrite: true);
    }

    /// <summary>Writes through a temporary file and a rename, with <paramref name="mode"/> from the start (the key is never readable by others).</summary>
    public static void WriteAtomically(string path, string content, UnixFileMode mode)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{RandomNumberGenerator.GetHexString(8, lowercase: true)}.tmp");
        using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
