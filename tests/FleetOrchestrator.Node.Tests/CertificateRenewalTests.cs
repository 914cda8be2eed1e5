using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetOrchestrator.Node.Gateway;

namespace FleetOrchestrator.Node.Tests;

/// <summary><c>POST /device/certificate</c> against a real node's gateway.</summary>
public sealed class CertificateRenewalTests : IAsyncLifetime
{
    private RunningNode _node = null!;

    public async Task InitializeAsync() => _node = await RunningNode.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private static (ECDsa Key, string Csr) Csr(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (key, new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem());
    }

    private static X509Certificate2 WithKey(string pem, ECDsa key)
    {
        using var issued = X509Certificate2.CreateFromPem(pem);
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    [Fact]
    public async Task A_renewed_certificate_works_at_once_and_replaces_the_old_one_from_its_first_use()
    {
        var (_, old) = await _node.RegisterAsync("device-1");
        using var _ = old;
        using var oldClient = _node.Client(old);
        Assert.True((await oldClient.GetAsync("repo/1.root.json")).IsSuccessStatusCode);
        var (key, csr) = Csr("device-1");
        using var __ = key;

        var answer = await oldClient.PostAsJsonAsync("device/certificate", new CertificateRenewalRequest(csr));
        var renewal = (await answer.Content.ReadFromJsonAsync<CertificateRenewalResponse>())!;
        using var renewed = WithKey(renewal.Certificate, key);
        var pending = (await _node.TwinAsync("device-1")).Registration!;
        // Until the device uses the new certificate, the old one goes on working (the answer may never have arrived).
        var oldBeforeUse = await oldClient.GetAsync("repo/1.root.json");
        using var newClient = _node.Client(renewed);
        var newFirstUse = await newClient.GetAsync("repo/1.root.json");
        var oldOpenConnection = await oldClient.GetAsync("repo/1.root.json");
        using var oldAgain = _node.Client(old);
        var oldNewConnection = await oldAgain.GetAsync("repo/1.root.json");

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal((_node.Ca.Subject, "device-1"), (renewed.Issuer, renewed.GetNameInfo(X509NameType.SimpleName, false)));
        Assert.Equal((Fingerprint(old), Fingerprint(renewed)), (pending.CertificateSha256, pending.RenewedCertificateSha256));
        Assert.Equal(HttpStatusCode.OK, oldBeforeUse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, newFirstUse.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, oldOpenConnection.StatusCode);
        Assert.Equal("device-unknown", (await oldNewConnection.Content.ReadFromJsonAsync<GatewayError>())!.Error);
        var current = (await _node.TwinAsync("device-1")).Registration!;
        Assert.Equal((Fingerprint(renewed), (string?)null), (current.CertificateSha256, current.RenewedCertificateSha256));
        // The gateway forgot nothing else of the device.
        Assert.Equal(HttpStatusCode.OK, (await newClient.GetAsync("repo/1.root.json")).StatusCode);
    }

    [Fact]
    public async Task A_malformed_csr_or_one_for_another_device_gets_400_and_nothing_is_stored()
    {
        var (_, certificate) = await _node.RegisterAsync("device-2");
        using var _ = certificate;
        using var client = _node.Client(certificate);
        var (key, otherName) = Csr("device-3");
        using var __ = key;

        var garbage = await client.PostAsJsonAsync("device/certificate", new CertificateRenewalRequest("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"));
        var other = await client.PostAsJsonAsync("device/certificate", new CertificateRenewalRequest(otherName));
        var missing = await client.PostAsJsonAsync("device/certificate", new CertificateRenewalRequest(null));

        var errors = new List<GatewayError>();
        foreach (var answer in new[] { garbage, other, missing })
        {
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            errors.Add((await answer.Content.ReadFromJsonAsync<GatewayError>())!);
        }
        Assert.All(errors, error => Assert.Equal("invalid-csr", error.Error));
        Assert.Equal("the CSR names \"device-3\" but the device registers as \"device-2\"", errors[1].Message);
        Assert.Equal("the CSR (PEM) is missing", errors[2].Message);
        Assert.Null((await _node.TwinAsync("device-2")).Registration!.RenewedCertificateSha256);
    }

    [Fact]
    public async Task Renewal_needs_a_registered_device_certificate()
    {
        var (_, csr) = Csr("device-4");
        using var anonymous = _node.Client();

        var answer = await anonymous.PostAsJsonAsync("device/certificate", new CertificateRenewalRequest(csr));

        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        Assert.Equal("certificate-required", (await answer.Content.ReadFromJsonAsync<GatewayError>())!.Error);
    }
}
