using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Edge.Tests.Registration;

/// <summary><c>fleet-edge register</c> as a process against a real node's HTTPS gateway.</summary>
public sealed class RegisterCommandTests : IAsyncLifetime
{
    private RunningNode _node = null!;

    public async Task InitializeAsync() => _node = await RunningNode.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private Task<CliWrap.Buffered.BufferedCommandResult> RegisterAsync(string dataDirectory, string name, string? token = null, params string[] extra) =>
        FleetEdgeProcess.RunAsync(["register", "--gateway", _node.GatewayUrl.AbsoluteUri, "--token", token ?? _node.Token, "--hardware-id", "rpi4",
            "--name", name, "--tag", "devel", "--group", "lab", "--data-dir", dataDirectory, .. extra]);

    [Fact]
    public async Task Register_writes_the_key_0600_the_certificate_for_it_the_ca_the_root_and_the_settings()
    {
        using var data = new TempDirectory();

        var result = await RegisterAsync(data.Path, "edge-1");

        Assert.True(result.ExitCode == 0, result.StandardError);
        var files = new DeviceFiles(data.Path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(files.KeyFile));
        using var key = ECDsa.Create();
        key.ImportFromPem(await File.ReadAllTextAsync(files.KeyFile));
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(files.CertificateFile);
        using var certificateKey = certificate.GetECDsaPublicKey()!;
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certificateKey.ExportSubjectPublicKeyInfo());
        Assert.Equal("edge-1", files.DeviceName());
        using var ca = files.LoadGatewayCa();
        Assert.Equal(_node.Ca.Thumbprint, ca.Thumbprint);
        Assert.Equal(await File.ReadAllTextAsync(new FleetOrchestrator.Node.Factory.FactoryFiles(_node.Data.Path).RootFile),
            await File.ReadAllTextAsync(files.TrustedRootFile));
        var settings = EdgeSettings.Load(data.Path);
        Assert.Equal(_node.GatewayUrl, settings.Gateway);
        Assert.Equal(("edge-1", "rpi4", "devel", "lab"), (settings.DeviceName, settings.HardwareId, settings.Tag, settings.Group));
        Assert.True(File.Exists(Path.Combine(data.Path, "tuf", "root.json")));

        // The files are what a device needs for mutual TLS: the gateway accepts them.
        using var client = _node.Client(files.LoadClientCertificate());
        Assert.True((await client.GetAsync("repo/1.root.json")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task A_second_registration_into_the_same_directory_is_refused_and_changes_nothing()
    {
        using var data = new TempDirectory();
        Assert.Equal(0, (await RegisterAsync(data.Path, "edge-2")).ExitCode);
        var before = Directory.GetFiles(data.Path).ToDictionary(f => f, File.ReadAllText);

        var again = await RegisterAsync(data.Path, "edge-3");

        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already holds a registration", again.StandardError);
        Assert.Equal(before, Directory.GetFiles(data.Path).ToDictionary(f => f, File.ReadAllText));
    }

    [Fact]
    public async Task A_wrong_token_gives_the_gateways_message_and_writes_nothing()
    {
        using var data = new TempDirectory();

        var result = await RegisterAsync(data.Path, "edge-4", token: "not-the-token");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("403 token-invalid: the registration token is missing or wrong", result.StandardError);
        Assert.Empty(Directory.GetFiles(data.Path));
    }

    [Fact]
    public async Task A_gateway_whose_certificate_is_not_from_the_given_ca_is_not_sent_the_token()
    {
        using var data = new TempDirectory();
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherCa = new CertificateRequest("CN=other CA", otherKey, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var caFile = Path.Combine(data.Path, "other-ca.crt");
        await File.WriteAllTextAsync(caFile, otherCa.ExportCertificatePem());

        var result = await RegisterAsync(Path.Combine(data.Path, "device"), "edge-5", null, "--gateway-ca", caFile);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot reach the gateway", result.StandardError);
        Assert.False(Directory.Exists(Path.Combine(data.Path, "device")) && Directory.GetFiles(Path.Combine(data.Path, "device")).Length > 0);
    }

    [Fact]
    public async Task A_duplicate_device_name_is_refused_with_the_gateways_reason()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        Assert.Equal(0, (await RegisterAsync(first.Path, "edge-6")).ExitCode);

        var result = await RegisterAsync(second.Path, "edge-6");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("409 device-exists", result.StandardError);
        Assert.Empty(Directory.GetFiles(second.Path));
    }
}
