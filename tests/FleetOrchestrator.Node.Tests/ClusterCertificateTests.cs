using System.Security.Cryptography.X509Certificates;
using FleetOrchestrator.ControlPlane.Security;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Node.Tests;

/// <summary>The cluster CA and node certificates: <c>fleet-node init</c>, <c>fleet-node cert</c>, and what <c>run</c> reads.</summary>
public class ClusterCertificateTests
{
    private static readonly UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task Init_creates_the_cluster_ca_and_the_first_nodes_certificate()
    {
        using var data = new TempDirectory();
        await Init.RunAsync(["--factory", "acme", "--data", data.Path, "--registry", "127.0.0.1:5000", "--node", "alpha"]);

        var files = new FactoryFiles(data.Path);
        Assert.Equal(Secret, File.GetUnixFileMode(files.ClusterCaKeyFile));
        Assert.Equal(Secret, File.GetUnixFileMode(Path.Combine(files.NodeCertificateDirectory, FactoryFiles.NodeKeyName)));
        using var ca = X509CertificateLoader.LoadCertificateFromFile(files.ClusterCaCertificateFile);
        Assert.True(ca.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal("1.2.840.10045.2.1", ca.PublicKey.Oid.Value);

        var tls = await files.LoadRemotingTlsAsync(null);
        Assert.Equal("CN=alpha", tls.NodeCertificate.Subject);
        Assert.Equal(["alpha"], tls.NodeCertificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        Assert.Equal(["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1"],
            tls.NodeCertificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value));
        Assert.NotNull(tls.NodeCertificate.GetECDsaPrivateKey());
        Assert.Equal(ca.Thumbprint, Assert.Single(tls.TrustedCas).Thumbprint);
        // The device CA is another CA: a device certificate is no node certificate.
        Assert.NotEqual(ca.Thumbprint, X509CertificateLoader.LoadCertificateFromFile(files.CaCertificateFile).Thumbprint);
    }

    [Fact]
    public async Task Cert_issues_a_node_certificate_of_the_cluster_ca_into_a_directory_that_holds_none()
    {
        using var data = new TempDirectory();
        await Init.RunAsync(["--factory", "acme", "--data", data.Path, "--registry", "127.0.0.1:5000"]);
        var output = data.Combine("nodes", "node2");

        await Cert.RunAsync(["--data", data.Path, "--node", "node2", "--out", output]);

        var files = new FactoryFiles(data.Path);
        var tls = await files.LoadRemotingTlsAsync(output);
        Assert.Equal("CN=node2", tls.NodeCertificate.Subject);
        Assert.Equal(Secret, File.GetUnixFileMode(Path.Combine(output, FactoryFiles.NodeKeyName)));
        Assert.True(ClusterCa.IsNodeCertificate(tls.NodeCertificate, tls.TrustedCas, out _));

        var again = await Assert.ThrowsAsync<FactoryFilesException>(() => Cert.RunAsync(["--data", data.Path, "--node", "node3", "--out", output]));
        Assert.Equal($"{output} already holds a node certificate; issue into another directory", again.Message);
        Assert.Equal("CN=node2", (await files.LoadRemotingTlsAsync(output)).NodeCertificate.Subject);
        var badName = await Assert.ThrowsAsync<FactoryFilesException>(() => Cert.RunAsync(["--data", data.Path, "--node", "Node,O=x", "--out", data.Combine("x")]));
        Assert.StartsWith("invalid node name \"Node,O=x\"", badName.Message);
        var missing = await Assert.ThrowsAsync<UsageException>(() => Cert.RunAsync(["--data", data.Path, "--node", "node4"]));
        Assert.Equal("cert: missing --out", missing.Message);
    }

    [Fact]
    public async Task A_factory_from_an_older_init_fails_to_start_until_cert_creates_its_cluster_ca()
    {
        using var data = new TempDirectory();
        await Init.RunAsync(["--factory", "acme", "--data", data.Path, "--registry", "127.0.0.1:5000"]);
        var files = new FactoryFiles(data.Path);
        // What an init before the cluster CA left.
        File.Delete(files.ClusterCaCertificateFile);
        File.Delete(files.ClusterCaKeyFile);
        Directory.Delete(files.NodeCertificateDirectory, recursive: true);

        var refused = await Assert.ThrowsAsync<FactoryFilesException>(() => NodeHost.BuildAsync(["--data", data.Path, "--remoting-port", "0", "--gateway-port", "0", "--pbm-port", "0"]));
        Assert.Equal($"{files.DataDirectory} has no cluster CA ({files.ClusterCaCertificateFile} is missing: an older fleet-node init made this factory); " +
            $"remoting needs it: create it and this node's certificate with 'fleet-node cert --data {files.DataDirectory} --node <name> --out {files.NodeCertificateDirectory}'", refused.Message);

        await Cert.RunAsync(["--data", data.Path, "--node", "node1", "--out", files.NodeCertificateDirectory]);

        Assert.Equal(Secret, File.GetUnixFileMode(files.ClusterCaKeyFile));
        Assert.Equal("CN=node1", (await files.LoadRemotingTlsAsync(null)).NodeCertificate.Subject);
    }

    [Fact]
    public async Task A_node_certificate_of_another_cluster_is_refused_at_start()
    {
        using var data = new TempDirectory();
        using var other = new TempDirectory();
        await Init.RunAsync(["--factory", "acme", "--data", data.Path, "--registry", "127.0.0.1:5000"]);
        await Init.RunAsync(["--factory", "acme", "--data", other.Path, "--registry", "127.0.0.1:5000"]);

        var foreign = new FactoryFiles(other.Path).NodeCertificateDirectory;
        var refused = await Assert.ThrowsAsync<FactoryFilesException>(() => new FactoryFiles(data.Path).LoadRemotingTlsAsync(foreign));

        Assert.StartsWith($"the node certificate {Path.Combine(foreign, FactoryFiles.NodeCertificateName)} is refused: \"CN=node1\" (issuer \"CN=acme cluster CA, O=acme\") is not a node certificate of this cluster's CA", refused.Message);
    }
}
