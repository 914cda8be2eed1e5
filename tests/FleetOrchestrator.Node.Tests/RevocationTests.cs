using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using FleetOrchestrator.CommandHost.Tests;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Node.Gateway;
using FleetOrchestrator.Protocol.DeviceApi;
using Microsoft.Extensions.DependencyInjection;

namespace FleetOrchestrator.Node.Tests;

/// <summary><c>pbm devices revoke|delete</c> against a real node: what the gateway answers the device afterwards, over real HTTPS.</summary>
public sealed class RevocationTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private RunningNode _node = null!;

    public async Task InitializeAsync()
    {
        _node = await RunningNode.StartAsync();
        await (await _node.TargetRegistryAsync()).Ask<TargetRecorded>(new RecordTarget("acme-1", Encoding.UTF8.GetBytes("{}"),
            new JsonObject { ["version"] = "1", ["tags"] = new JsonArray("main") }), Wait);
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private async Task<PbmResult> PbmAsync(string command, params string[] arguments) =>
        await PbmClient.RunAsync(await _node.CommandHostAsync(), "devices", command, arguments);

    /// <summary>A device client that counts the TLS connections it opens (keep-alive: one for all its requests).</summary>
    private HttpClient KeepAliveClient(X509Certificate2 certificate, Func<int> count, Action opened) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
            ConnectCallback = async (context, cancellation) =>
            {
                opened();
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        }) { BaseAddress = _node.GatewayUrl, Timeout = Wait };

    private static async Task UntilRefusedAsync(HttpClient client)
    {
        for (var attempt = 0; (await client.GetAsync("config")).StatusCode != HttpStatusCode.Forbidden; attempt++)
        {
            Assert.True(attempt < 300, "the gateway never refused the revoked device");
            await Task.Delay(100);
        }
    }

    private static async Task AssertRevokedAsync(HttpResponseMessage answer)
    {
        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
        Assert.Equal("device-revoked", (await answer.Content.ReadFromJsonAsync<GatewayError>())!.Error);
    }

    private async Task<HttpResponseMessage> RegisterRawAsync(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = _node.Client();
        return await client.PostAsJsonAsync("devices", new RegistrationRequest(_node.Token, name, new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem(), null, null));
    }

    [Fact]
    public async Task A_revoked_device_gets_403_device_revoked_everywhere_even_on_its_open_connection_stores_nothing_and_cannot_register_again()
    {
        var (_, certificate) = await _node.RegisterAsync("device-1");
        using var _ = certificate;
        var connections = 0;
        using var client = KeepAliveClient(certificate, () => connections, () => Interlocked.Increment(ref connections));
        Assert.True((await client.GetAsync("config")).IsSuccessStatusCode);

        var revoked = await PbmAsync("revoke", "device-1", "--reason", "stolen from van 12");
        await UntilRefusedAsync(client);

        Assert.Equal(0, revoked.End.ExitCode);
        Assert.StartsWith("device device-1 revoked by loopback at ", revoked.Lines[0]);
        foreach (var path in new[] { "config", "repo/1.root.json", "repo/timestamp.json", "repo/1.targets.json" })
            await AssertRevokedAsync(await client.GetAsync(path));
        var events = new[] { new DeviceEvent("e-1", DateTimeOffset.UtcNow, new DeviceEventType(DeviceEventTypes.DownloadStarted),
            new DeviceEventBody("1-0b1c2d3e-0000-4000-8000-000000000001", "acme-1", "1", null, null)) };
        await AssertRevokedAsync(await client.PostAsJsonAsync("events", events, DeviceApiJson.Options));
        await AssertRevokedAsync(await client.PostAsync("apps-states", new StringContent("{}", Encoding.UTF8, "application/json")));
        Assert.Equal(1, connections); // every answer above came on the connection opened before the revocation
        // A new connection is refused too, and so is the name.
        using var fresh = _node.Client(certificate);
        await AssertRevokedAsync(await fresh.GetAsync("config"));
        var again = await RegisterRawAsync("device-1");
        await AssertRevokedAsync(again);

        var twin = await _node.TwinAsync("device-1");
        Assert.Empty(twin.Installs);
        Assert.Equal(("stolen from van 12", "loopback"), (twin.Revocation!.Reason, twin.Revocation.By));
        var show = await PbmAsync("show", "device-1");
        Assert.Equal("stolen from van 12", show.Value.GetProperty("revoked").GetProperty("reason").GetString());
        for (var attempt = 0; (await PbmAsync("list")).Rows.SingleOrDefault()?["revoked"] is not { } cell || !cell.EndsWith("by loopback: stolen from van 12"); attempt++)
        {
            Assert.True(attempt < 100, "devices list never showed the revocation");
            await Task.Delay(200);
        }
        // Revoking again changes nothing: the first reason stays.
        var repeated = await PbmAsync("revoke", "device-1", "--reason", "other");
        Assert.EndsWith("stolen from van 12 (nothing changed)", repeated.Lines[0]);
    }

    [Fact]
    public async Task After_delete_with_release_name_a_new_device_registers_the_name_and_the_old_certificate_stays_refused()
    {
        var (_, old) = await _node.RegisterAsync("device-2");
        var (_, reserved) = await _node.RegisterAsync("device-3");
        using var __ = old;
        using var ___ = reserved;
        using var oldClient = _node.Client(old);
        Assert.True((await oldClient.GetAsync("config")).IsSuccessStatusCode);

        var released = await PbmAsync("delete", "device-2", "--release-name");
        var kept = await PbmAsync("delete", "device-3");
        await UntilRefusedAsync(oldClient);

        Assert.Equal((0, 0), (released.End.ExitCode, kept.End.ExitCode));
        Assert.Contains("name released", released.Lines[0]);
        var (_, renewed) = await _node.RegisterAsync("device-2");
        using var ____ = renewed;
        using var newClient = _node.Client(renewed);
        Assert.True((await newClient.GetAsync("config")).IsSuccessStatusCode);
        // Last: a refused registration makes this address wait before its next one (the registration throttle).
        await AssertRevokedAsync(await RegisterRawAsync("device-3"));
        await AssertRevokedAsync(await oldClient.GetAsync("config"));
        using var oldAgain = _node.Client(old);
        await AssertRevokedAsync(await oldAgain.GetAsync("config"));
        Assert.Null((await _node.TwinAsync("device-2")).Revocation);
    }

    [Fact]
    public async Task Revoking_or_deleting_an_unknown_device_is_a_precise_error_and_persists_nothing()
    {
        var revoke = await PbmAsync("revoke", "ghost", "--reason", "stolen");
        var delete = await PbmAsync("delete", "ghost", "--release-name");
        var badName = await PbmAsync("revoke", "Not A Name", "--reason", "stolen");
        var noReason = await PbmAsync("revoke", "ghost");

        Assert.Equal(("not-found", "no device \"ghost\" is registered"), (revoke.End.Error, revoke.End.Message));
        Assert.Equal(("not-found", "no device \"ghost\" is registered"), (delete.End.Error, delete.End.Message));
        Assert.Equal("not-found", badName.End.Error);
        Assert.Equal("usage", noReason.End.Error);
        Assert.Null((await _node.TwinAsync("ghost")).Registration);
        Assert.Equal(0, _node.App.Services.GetRequiredService<DeviceDenyList>().Revision);
    }

    [Fact]
    public async Task A_gateway_started_after_the_revocation_refuses_the_device()
    {
        var (_, certificate) = await _node.RegisterAsync("device-4");
        using var _ = certificate;
        Assert.Equal(0, (await PbmAsync("revoke", "device-4", "--reason", "retired")).End.ExitCode);

        await _node.RestartAsync();

        using var client = _node.Client(certificate);
        await AssertRevokedAsync(await client.GetAsync("repo/1.root.json"));
        await AssertRevokedAsync(await RegisterRawAsync("device-4"));
    }
}
