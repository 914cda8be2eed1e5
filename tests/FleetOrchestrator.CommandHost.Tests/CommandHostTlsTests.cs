using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetOrchestrator.CommandHost;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.Pbm;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>A node whose command host speaks TLS (the certificate of a test CA, for 127.0.0.1) and requires tokens.</summary>
public sealed class CommandHostTlsTests : IAsyncLifetime
{
    private readonly TempDirectory _files = new();
    private X509Certificate2 _ca = null!;
    private RunningNode _node = null!;
    private IPEndPoint _host = null!;

    private static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    public async Task InitializeAsync()
    {
        _ca = CreateCa("operators-ca");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=command-host", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = request.Create(_ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(12), [1, 2, 3, 4]);
        await File.WriteAllTextAsync(_files.Combine("host.pem"), server.ExportCertificatePem());
        await File.WriteAllTextAsync(_files.Combine("host.key.pem"), key.ExportPkcs8PrivateKeyPem());
        await File.WriteAllTextAsync(_files.Combine("ca.pem"), _ca.ExportCertificatePem());
        await File.WriteAllTextAsync(_files.Combine("tokens"), $"viewer {OperatorTokens.Hash("viewer-token")}\n");
        _node = await RunningNode.StartAsync(hocon:
            $"fleet.command-host {{ tokens-file = \"{_files.Combine("tokens")}\", tls {{ certificate = \"{_files.Combine("host.pem")}\", key = \"{_files.Combine("host.key.pem")}\" }} }}");
        _host = await _node.CommandHostAsync();
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _ca.Dispose();
        _files.Dispose();
    }

    [Fact]
    public async Task A_client_trusting_the_ca_runs_commands_and_others_cannot_connect()
    {
        await using (var trusted = await PbmConnection.ConnectAsync("127.0.0.1", _host.Port, "viewer-token", CancellationToken.None, _ca))
        {
            var leader = await PbmClient.RunAsync(trusted, "cluster", "leader");
            Assert.Equal(ExitCodes.Ok, leader.End.ExitCode);
        }
        using var otherCa = CreateCa("someone-else");

        var plain = await Assert.ThrowsAsync<PbmException>(() => PbmConnection.ConnectAsync("127.0.0.1", _host.Port, "viewer-token", CancellationToken.None));
        var untrusted = await Assert.ThrowsAsync<PbmException>(() => PbmConnection.ConnectAsync("127.0.0.1", _host.Port, "viewer-token", CancellationToken.None, otherCa));

        Assert.Equal(ExitCodes.Unavailable, plain.ExitCode);
        Assert.Equal(ExitCodes.Unavailable, untrusted.ExitCode);
        Assert.StartsWith($"cannot reach the command host at 127.0.0.1:{_host.Port}: ", untrusted.Message);
    }

    [Fact]
    public async Task The_pbm_executable_connects_with_ca()
    {
        var endpoint = $"127.0.0.1:{_host.Port}";

        var withCa = await PbmClient.ProcessAsync("--ca", _files.Combine("ca.pem"), "--token", "viewer-token", endpoint, "cluster", "leader");
        var badCa = await PbmClient.ProcessAsync("--ca", _files.Combine("missing.pem"), "--token", "viewer-token", endpoint, "cluster", "leader");

        Assert.True(withCa.ExitCode == 0, withCa.Stderr);
        Assert.StartsWith("akka.ssl.tcp://fleet@127.0.0.1:", withCa.Stdout);
        Assert.Equal(ExitCodes.Usage, badCa.ExitCode);
        Assert.StartsWith($"error: cannot read the CA certificate {_files.Combine("missing.pem")}:", badCa.Stderr);
    }
}
