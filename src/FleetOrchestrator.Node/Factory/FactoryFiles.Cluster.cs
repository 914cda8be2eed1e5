using System.Security.Cryptography.X509Certificates;
using FleetOrchestrator.ControlPlane.Security;

namespace FleetOrchestrator.Node.Factory;

/// <summary>
/// The cluster CA under <c>ca/</c> (<c>cluster-ca.pem</c>, key <c>cluster-ca.key.pem</c> 0600) and node certificate
/// folders (<c>node.pem</c>, key <c>node.key.pem</c> 0600); <c>init</c> writes the first node's into <c>node/</c>.
/// </summary>
public sealed partial class FactoryFiles
{
    public const string NodeCertificateName = "node.pem";
    public const string NodeKeyName = "node.key.pem";
    /// <summary>The first node's name when <c>init</c> is given none.</summary>
    public const string DefaultNode = "node1";

    public string ClusterCaCertificateFile => Path.Combine(DataDirectory, "ca", "cluster-ca.pem");
    public string ClusterCaKeyFile => Path.Combine(DataDirectory, "ca", "cluster-ca.key.pem");

    /// <summary>The node certificate folder <c>run</c> reads unless told another (<c>--node-certificate</c>).</summary>
    public string NodeCertificateDirectory => Path.Combine(DataDirectory, "node");

    /// <summary>
    /// Issues a certificate for node <paramref name="node"/> into <paramref name="directory"/>, which must not hold one.
    /// A factory made before the cluster CA existed gets its CA first; returns whether it was created.
    /// </summary>
    public async Task<bool> IssueNodeCertificateAsync(string node, string directory, CancellationToken cancellation = default)
    {
        if (ClusterCa.NodeNameProblem(node) is { } problem) throw new FactoryFilesException(problem);
        if (File.Exists(Path.Combine(directory, NodeCertificateName)) || File.Exists(Path.Combine(directory, NodeKeyName)))
            throw new FactoryFilesException($"{directory} already holds a node certificate; issue into another directory");
        var settings = await LoadSettingsAsync(cancellation);
        var created = !File.Exists(ClusterCaCertificateFile);
        if (created) await CreateClusterCaAsync(settings.Factory, cancellation);
        else if (!File.Exists(ClusterCaKeyFile))
            throw new FactoryFilesException($"{ClusterCaKeyFile} is missing: node certificates are issued where the cluster CA key is");
        await WriteNodeCertificateAsync(node, directory, cancellation);
        return created;
    }

    private async Task WriteNodeCertificateAsync(string node, string directory, CancellationToken cancellation)
    {
        using var ca = ClusterCa.Load(await File.ReadAllTextAsync(ClusterCaCertificateFile, cancellation), await File.ReadAllTextAsync(ClusterCaKeyFile, cancellation));
        using var certificate = ca.IssueNodeCertificate(node);
        Directory.CreateDirectory(directory);
        await WriteSecretAsync(Path.Combine(directory, NodeKeyName), certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n", cancellation);
        await File.WriteAllTextAsync(Path.Combine(directory, NodeCertificateName), certificate.ExportCertificatePem() + "\n", cancellation);
    }

    /// <summary>
    /// This node's remoting TLS: its certificate from <paramref name="nodeDirectory"/> (default <see cref="NodeCertificateDirectory"/>),
    /// checked against every CA certificate of <c>cluster-ca.pem</c>, which it trusts (two while the CA is rotated).
    /// </summary>
    public async Task<RemotingTls> LoadRemotingTlsAsync(string? nodeDirectory, CancellationToken cancellation = default)
    {
        var directory = Path.GetFullPath(nodeDirectory ?? NodeCertificateDirectory);
        var issue = $"'fleet-node cert --data {DataDirectory} --node <name> --out {directory}'";
        if (!File.Exists(ClusterCaCertificateFile))
            throw new FactoryFilesException($"{DataDirectory} has no cluster CA ({ClusterCaCertificateFile} is missing: an older fleet-node init made this factory); remoting needs it: create it and this node's certificate with {issue}");
        var (certificateFile, keyFile) = (Path.Combine(directory, NodeCertificateName), Path.Combine(directory, NodeKeyName));
        if (new[] { certificateFile, keyFile }.FirstOrDefault(f => !File.Exists(f)) is { } missing)
            throw new FactoryFilesException($"no node certificate in {directory} ({missing} is missing); issue one with {issue}");
        var trustedPem = await File.ReadAllTextAsync(ClusterCaCertificateFile, cancellation);
        var trusted = new X509Certificate2Collection();
        trusted.ImportFromPem(trustedPem);
        var (certificatePem, keyPem) = (await File.ReadAllTextAsync(certificateFile, cancellation), await File.ReadAllTextAsync(keyFile, cancellation));
        using var pem = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        var certificate = CertificateAuthority.UsableForTls(pem);
        // Checked at start: an expired or foreign certificate would otherwise only show as refused handshakes.
        if (!ClusterCa.IsNodeCertificate(certificate, trusted, out var problem))
            throw new FactoryFilesException($"the node certificate {certificateFile} is refused: {problem}; issue a new one with {issue}");
        return new RemotingTls(certificate, trusted);
    }

    private async Task CreateClusterCaAsync(string factory, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ClusterCaKeyFile)!);
        using var ca = ClusterCa.Create(factory);
        await WriteSecretAsync(ClusterCaKeyFile, ca.PrivateKeyPem, cancellation);
        await File.WriteAllTextAsync(ClusterCaCertificateFile, ca.CertificatePem, cancellation);
    }
}
