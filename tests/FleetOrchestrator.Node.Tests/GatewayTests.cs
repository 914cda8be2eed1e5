using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.Node.Gateway;
using FleetOrchestrator.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace FleetOrchestrator.Node.Tests;

public sealed class GatewayTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private RunningNode _node = null!;

    public async Task InitializeAsync() => _node = await RunningNode.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private static RecordTarget Target(string name, string content) =>
        new(name, Encoding.UTF8.GetBytes(content), new JsonObject { ["version"] = name.Split('-')[^1], ["tags"] = new JsonArray("main") });

    [Fact]
    public void Hocon_tunables_ship_beside_the_executable() =>
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "hocon", "fleet.conf")));

    [Fact]
    public async Task Registered_device_verifies_the_served_metadata_with_the_tuf_client_and_downloads_the_target()
    {
        var registry = await _node.TargetRegistryAsync();
        await registry.Ask<TargetRecorded>(Target("acme-1", "{\"app\":{\"uri\":\"r/acme/app@sha256:01\"}}"), Wait);
        var (registration, certificate) = await _node.RegisterAsync("device-1");
        using var _ = certificate;
        await _node.WaitForTargetsVersionAsync(certificate, 1);

        Assert.Equal("device-1", registration.Name);
        Assert.Equal(_node.GatewayUrl.ToString().TrimEnd('/'), registration.GatewayUrl);
        using var metadataDir = new TempDirectory();
        using var http = _node.Client(certificate);
        var updater = await _node.DeviceUpdaterAsync(registration, http, metadataDir.Path);

        await updater.RefreshAsync();
        var target = await updater.GetTargetInfoAsync("acme-1");
        var downloaded = await updater.DownloadTargetAsync(target!);

        Assert.Equal("{\"app\":{\"uri\":\"r/acme/app@sha256:01\"}}", await File.ReadAllTextAsync(downloaded));
        Assert.Equal(1, updater.TrustedTargets("targets")!.Signed.Version);

        // A second target reaches the device through pub/sub and a plain refresh.
        await registry.Ask<TargetRecorded>(Target("acme-2", "{\"app\":{\"uri\":\"r/acme/app@sha256:02\"}}"), Wait);
        await _node.WaitForTargetsVersionAsync(certificate, 2);
        await updater.RefreshAsync();
        Assert.NotNull(await updater.GetTargetInfoAsync("acme-2"));
    }

    [Fact]
    public async Task A_device_whose_wave_view_was_closed_before_it_was_moved_back_is_served_production()
    {
        var registry = await _node.TargetRegistryAsync();
        await registry.Ask<TargetRecorded>(Target("acme-1", "{\"app\":{\"uri\":\"r/acme/app@sha256:01\"}}"), Wait);
        await registry.Ask<TargetRecorded>(new RecordTarget("acme-2", Encoding.UTF8.GetBytes("{}"),
            new JsonObject { ["version"] = "2", ["tags"] = new JsonArray("ci") }), Wait);
        var (_, certificate) = await _node.RegisterAsync("device-w");
        using var _ = certificate;
        using var http = _node.Client(certificate);
        await registry.Ask<WaveViewChanged>(new OpenWaveView("main", "w", "2"), Wait);
        var twins = await _node.App.Services.GetRequiredService<Akka.Hosting.ActorRegistry>().GetAsync<FleetOrchestrator.ControlPlane.Devices.DeviceTwinActor>();
        twins.Tell(new AssignDeviceView("device-w", "main", "w"));
        for (var attempt = 0; !(await http.GetStringAsync("repo/2.targets.json")).Contains("acme-2"); attempt++)
        {
            Assert.True(attempt < 100, "the device never got the wave's view");
            await Task.Delay(100);
        }

        // The wave ends; the device's move back to production has not happened yet.
        await registry.Ask<WaveViewChanged>(new CloseWaveView("main", "w"), Wait);
        await _node.WaitForTargetsVersionAsync(certificate, 3);

        var timestamp = await http.GetAsync("repo/timestamp.json");
        Assert.Equal(HttpStatusCode.OK, timestamp.StatusCode);
        Assert.DoesNotContain("acme-2", await http.GetStringAsync("repo/3.targets.json"));
    }

    [Fact]
    public async Task Unchanged_timestamp_answers_304_to_its_etag()
    {
        await (await _node.TargetRegistryAsync()).Ask<TargetRecorded>(Target("acme-1", "one"), Wait);
        var (_, certificate) = await _node.RegisterAsync("device-2");
        await _node.WaitForTargetsVersionAsync(certificate, 1);
        using var client = _node.Client(certificate);

        var first = await client.GetAsync("repo/timestamp.json");
        var etag = first.Headers.ETag!;
        using var again = new HttpRequestMessage(HttpMethod.Get, "repo/timestamp.json");
        again.Headers.IfNoneMatch.Add(etag);
        var second = await client.SendAsync(again);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Requests_without_a_device_certificate_get_401()
    {
        using var client = _node.Client();
        var answer = await client.GetAsync("repo/1.root.json");

        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        Assert.Equal("certificate-required", (await answer.Content.ReadFromJsonAsync<GatewayError>())!.Error);
    }

    [Fact]
    public async Task Certificate_from_another_ca_gets_401_even_with_a_registered_name()
    {
        await _node.RegisterAsync("device-3");
        using var otherCa = DeviceCa.Create("other");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var issued = otherCa.IssueDeviceCertificate("device-3", new CertificateRequest("CN=device-3", key, HashAlgorithmName.SHA256).CreateSigningRequestPem(), TimeSpan.FromDays(1));
        using var forged = X509CertificateLoader.LoadPkcs12(issued.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
        using var client = _node.Client(forged);

        var answer = await client.GetAsync("repo/1.root.json");

        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        Assert.Equal("certificate-untrusted", (await answer.Content.ReadFromJsonAsync<GatewayError>())!.Error);
    }

    [Fact]
    public async Task Duplicate_names_wrong_tokens_and_bad_csrs_are_refused_with_reasons()
    {
        await _node.RegisterAsync("device-4");
        using var client = _node.Client();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=device-4", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();

        var duplicate = await client.PostAsJsonAsync("devices", new RegistrationRequest(_node.Token, "device-4", csr, null, null));
        var mismatch = await client.PostAsJsonAsync("devices", new RegistrationRequest(_node.Token, "device-5", csr, null, null));
        var tooLarge = await RunningNode.SendOversizedAsync(client, HttpMethod.Post, "devices", new ByteArrayContent(new byte[GatewayEndpoints.MaxRequestBytes + 1]));
        // Last: a wrong token makes this address wait before its next registration (RegistrationThrottle).
        var wrongToken = await client.PostAsJsonAsync("devices", new RegistrationRequest("nope", "device-5", csr, null, null));

        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.StartsWith("a device named \"device-4\" is already registered", (await duplicate.Content.ReadFromJsonAsync<GatewayError>())!.Message);
        Assert.Equal(HttpStatusCode.Forbidden, wrongToken.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.Equal("the CSR names \"device-4\" but the device registers as \"device-5\"", (await mismatch.Content.ReadFromJsonAsync<GatewayError>())!.Message);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
    }
}
