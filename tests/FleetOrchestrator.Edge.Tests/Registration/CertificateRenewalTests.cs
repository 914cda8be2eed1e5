using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Gateway;
using FleetOrchestrator.Edge.Registration;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Edge.Tests.Registration;

public sealed class RenewalDueTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, false)]
    [InlineData(599, false)] // 601 of 900 days left: more than a third
    [InlineData(600, false)] // exactly a third left
    [InlineData(601, true)]
    [InlineData(900, true)]
    [InlineData(1000, true)] // expired: renewing is all that is left to try
    public void A_certificate_is_due_once_less_than_a_third_of_its_lifetime_is_left(int day, bool due) =>
        Assert.Equal(due, CertificateRenewer.IsDue(Start, Start.AddDays(900), Start.AddDays(day)));
}

/// <summary>The device's key and certificate files at every point a crash can interrupt a replacement.</summary>
public sealed class CertificateReplacementTests
{
    private static (string Key, string Certificate) Pair(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return (key.ExportPkcs8PrivateKeyPem() + "\n", certificate.ExportCertificatePem() + "\n");
    }

    [Theory]
    [InlineData("new key written", "old")]
    [InlineData("new pair written", "new")]
    [InlineData("key moved in", "new")]
    [InlineData("done", "new")]
    public void At_every_crash_point_the_device_has_a_working_pair(string crashedAfter, string expected)
    {
        using var data = new TempDirectory();
        var files = new DeviceFiles(data.Path);
        var (oldKey, oldCertificate) = Pair("old");
        var (newKey, newCertificate) = Pair("new");
        File.WriteAllText(files.KeyFile, oldKey);
        File.WriteAllText(files.CertificateFile, oldCertificate);

        File.WriteAllText(files.NextKeyFile, newKey);
        if (crashedAfter != "new key written") File.WriteAllText(files.NextCertificateFile, newCertificate);
        if (crashedAfter is "key moved in" or "done") File.Move(files.NextKeyFile, files.KeyFile, overwrite: true);
        if (crashedAfter == "done") File.Move(files.NextCertificateFile, files.CertificateFile, overwrite: true);

        // Loading finishes what the crash interrupted: the key and the certificate are a pair.
        using var loaded = files.LoadClientCertificate();
        Assert.Equal(expected, loaded.GetNameInfo(X509NameType.SimpleName, false));
        Assert.True(loaded.HasPrivateKey);
        Assert.False(File.Exists(files.NextKeyFile));
        Assert.False(File.Exists(files.NextCertificateFile));
    }
}

/// <summary>Renewal against a real node's gateway, whose device certificates live one minute (due at once).</summary>
public sealed class CertificateRenewalTests : IAsyncLifetime
{
    private RunningNode _node = null!;

    public async Task InitializeAsync() => _node = await RunningNode.StartAsync(hocon: "fleet.gateway.device-certificate-lifetime = 1m");

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task A_due_certificate_is_renewed_stored_and_used_and_the_old_one_is_refused()
    {
        using var data = new TempDirectory();
        var files = await DeviceRegistrar.RegisterAsync(new RegistrationOptions(_node.GatewayUrl, _node.Token, "rpi4", "edge-1", "main", "", data.Path, null), CancellationToken.None);
        using var old = files.LoadClientCertificate();
        var gateway = GatewayHttp.ForDevice(EdgeSettings.Load(data.Path));
        var renewer = new CertificateRenewer(files, gateway, TimeProvider.System);

        var renewedUntil = await renewer.RenewIfDueAsync(CancellationToken.None);
        var withNew = await gateway.Http.GetAsync("repo/1.root.json");
        using var oldClient = _node.Client(old);
        var withOld = await oldClient.GetAsync("repo/1.root.json");

        Assert.NotNull(renewedUntil);
        using var stored = files.LoadClientCertificate();
        Assert.NotEqual(old.Thumbprint, stored.Thumbprint);
        Assert.Equal(stored.Thumbprint, gateway.Handler.Certificate.Thumbprint);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(files.KeyFile));
        Assert.Equal(HttpStatusCode.OK, withNew.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, withOld.StatusCode);
        var twin = await _node.TwinAsync("edge-1");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(stored.RawData)), twin.Registration!.CertificateSha256);
    }

    [Fact]
    public async Task A_failed_renewal_changes_nothing_on_the_device()
    {
        using var data = new TempDirectory();
        var files = await DeviceRegistrar.RegisterAsync(new RegistrationOptions(_node.GatewayUrl, _node.Token, "rpi4", "edge-2", "main", "", data.Path, null), CancellationToken.None);
        var before = (File.ReadAllText(files.KeyFile), File.ReadAllText(files.CertificateFile));
        var device = GatewayHttp.ForDevice(EdgeSettings.Load(data.Path));
        var unreachable = new DeviceGateway(new HttpClient(device.Handler) { BaseAddress = new Uri("https://127.0.0.1:1/") }, device.Handler);
        var renewer = new CertificateRenewer(files, unreachable, TimeProvider.System);
        var certificate = device.Handler.Certificate;

        var failure = await Assert.ThrowsAsync<CertificateRenewalException>(() => renewer.RenewIfDueAsync(CancellationToken.None));

        Assert.StartsWith("cannot reach the gateway", failure.Message);
        Assert.Equal(before, (File.ReadAllText(files.KeyFile), File.ReadAllText(files.CertificateFile)));
        Assert.Same(certificate, device.Handler.Certificate);
        Assert.Equal(HttpStatusCode.OK, (await device.Http.GetAsync("repo/1.root.json")).StatusCode);
    }
}
