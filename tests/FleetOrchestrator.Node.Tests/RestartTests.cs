using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Protocol.DeviceApi;
using Microsoft.Extensions.DependencyInjection;
using FleetOrchestrator.Node.Gateway;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Client;

namespace FleetOrchestrator.Node.Tests;

public sealed class RestartTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_restarted_embedded_node_keeps_targets_keys_registered_devices_and_the_fleet_table()
    {
        await using var node = await RunningNode.StartAsync();
        var registry = await node.TargetRegistryAsync();
        await registry.Ask<TargetRecorded>(new RecordTarget("acme-1", Encoding.UTF8.GetBytes("{\"a\":{}}"),
            new JsonObject { ["version"] = "1", ["tags"] = new JsonArray("main") }), Wait);
        var (registration, certificate) = await node.RegisterAsync("device-r");
        using var _ = certificate;
        await node.WaitForTargetsVersionAsync(certificate, 1);
        using (var reporter = node.Client(certificate))
        {
            var installed = new DeviceEvent("r-1", DateTimeOffset.UtcNow, new DeviceEventType(DeviceEventTypes.InstallationCompleted),
                new DeviceEventBody("1-0b1c2d3e-0000-4000-8000-000000000001", "acme-1", "1", Success: true));
            Assert.Equal(HttpStatusCode.OK, (await reporter.PostAsJsonAsync("events", new[] { installed }, DeviceApiJson.Options)).StatusCode);
        }
        var expected = new FleetRow("device-r", "generic", "main", null, "acme-1", DeviceStatuses.Installed, AppHealth.Unknown, default, default);
        var table = node.App.Services.GetRequiredService<FleetTable>();
        for (var attempt = 0; attempt < 200 && (await table.GetAsync("device-r"))?.CurrentTarget is null; attempt++) await Task.Delay(200);
        var before = (await table.GetAsync("device-r"))!;
        Assert.Equal(expected, before with { RegisteredAt = default, LastSeen = default });

        await node.RestartAsync();

        // The fleet table is read as it was, with no replay needed.
        Assert.Equal(before, await node.App.Services.GetRequiredService<FleetTable>().GetAsync("device-r"));

        // The twin came back from the journal: the same certificate is still accepted.
        await node.WaitForTargetsVersionAsync(certificate, 1);
        using var metadata = new TempDirectory();
        await Updater.InitializeAsync(metadata.Path, Encoding.UTF8.GetBytes(registration.Root));
        using var http = node.Client(certificate);
        var updater = new Updater(new UpdaterOptions { MetadataDir = metadata.Path, MetadataBaseUrl = new Uri(node.GatewayUrl, "repo/") }, http);
        await updater.RefreshAsync();
        Assert.NotNull(await updater.GetTargetInfoAsync("acme-1"));

        // The keys still sign for the recovered root: a new target verifies too.
        var restarted = await node.TargetRegistryAsync();
        await restarted.Ask<TargetRecorded>(new RecordTarget("acme-2", Encoding.UTF8.GetBytes("{\"b\":{}}"),
            new JsonObject { ["version"] = "2", ["tags"] = new JsonArray("main") }), Wait);
        await node.WaitForTargetsVersionAsync(certificate, 2);
        await updater.RefreshAsync();
        Assert.NotNull(await updater.GetTargetInfoAsync("acme-2"));

        // And the name stays taken.
        using var client = node.Client();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=device-r", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        var duplicate = await client.PostAsJsonAsync("devices", new RegistrationRequest(node.Token, "device-r", csr, null, null));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
    }
}
