using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace FleetOrchestrator.ControlPlane.Security;

/// <summary>
/// The cluster's certificate authority: it issues one certificate per control-plane node, and Akka.Remote's mutual TLS
/// accepts a peer only with such a certificate (<see cref="RemotingTls"/>).
/// </summary>
public sealed partial class ClusterCa : IDisposable
{
    public static readonly TimeSpan NodeLifetime = TimeSpan.FromDays(825);

    /// <summary>A node certificate authenticates both ends of a remoting connection: the node dials out and accepts.</summary>
    public static readonly Oid[] NodeUsages = [CertificateAuthority.ClientAuth, CertificateAuthority.ServerAuth];

    private readonly CertificateAuthority _ca;

    private ClusterCa(CertificateAuthority ca) => _ca = ca;

    public X509Certificate2 Certificate => _ca.Certificate;

    public static ClusterCa Create(string factory) => new(CertificateAuthority.Create($"CN={factory} cluster CA, O={factory}"));

    public static ClusterCa Load(string certificatePem, string keyPem) => new(CertificateAuthority.Load(certificatePem, keyPem));

    public string CertificatePem => _ca.CertificatePem;

    public string PrivateKeyPem => _ca.PrivateKeyPem;

    /// <summary>A certificate for node <paramref name="nodeName"/> (its common name and DNS name), with its private key.</summary>
    public X509Certificate2 IssueNodeCertificate(string nodeName) =>
        NodeNameProblem(nodeName) is { } problem
            ? throw new ArgumentException(problem, nameof(nodeName))
            : _ca.IssueWithNewKey($"CN={nodeName}", [nodeName], NodeUsages, NodeLifetime);

    /// <summary>What is wrong with <paramref name="nodeName"/> as a node name (it becomes a DNS name), or null.</summary>
    public static string? NodeNameProblem(string nodeName) =>
        NodeNamePattern().IsMatch(nodeName) ? null : $"invalid node name \"{nodeName}\": use 1-63 of a-z 0-9 . - starting with a letter or digit";

    /// <summary>
    /// Whether <paramref name="certificate"/> is a node certificate (an end entity for client and server authentication)
    /// issued by one of <paramref name="trusted"/> and valid now; otherwise what is wrong.
    /// </summary>
    public static bool IsNodeCertificate(X509Certificate2 certificate, X509Certificate2Collection trusted, out string problem)
    {
        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority))
        {
            problem = $"\"{certificate.Subject}\" is a CA certificate, not a node certificate";
            return false;
        }
        if (!CertificateAuthority.Chains(certificate, trusted, NodeUsages, out var chainProblem))
        {
            problem = $"\"{certificate.Subject}\" (issuer \"{certificate.Issuer}\") is not a node certificate of this cluster's CA: {chainProblem}";
            return false;
        }
        problem = "";
        return true;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{0,62}$")]
    private static partial Regex NodeNamePattern();

    public void Dispose() => _ca.Dispose();
}
