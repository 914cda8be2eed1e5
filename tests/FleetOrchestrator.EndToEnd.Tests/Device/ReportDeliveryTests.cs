using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Tests.Fetch;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.TestSupport;
using static FleetOrchestrator.EndToEnd.Tests.EdgeScenario;

namespace FleetOrchestrator.EndToEnd.Tests.Device;

/// <summary>The outbox delivers events, app states and system facts to the real gateway: nothing stays pending.</summary>
[Collection(PublishedAppsCollection.Name)]
public sealed class ReportDeliveryTests
{
    [Fact]
    public async Task After_an_install_every_report_is_accepted_by_the_gateway()
    {
        await using var factory = await EdgeFactory.StartAsync();
        var (containers, node) = (factory.Containers, factory.Node);
        using var device = new TempDirectory();
        try
        {
            await PublishAsync(node, containers, 1);
            await factory.RegisterDeviceAsync(device.Path, "reporting-device", "httpd", "confirmation-window = 1s, check-interval = 500ms");

            var updated = await UpdateOnceAsync(device.Path);

            Assert.True(updated.ExitCode == 0, updated.StandardError);
            var status = await StatusAsync(device.Path);
            Assert.True((int)status["pendingEvents"]! == 0, $"{status}\n{updated.StandardError}");
            Assert.DoesNotContain("not delivered", updated.StandardError);
            Assert.DoesNotContain("refused", updated.StandardError);
        }
        finally
        {
            await RemoveContainersAsync();
        }
    }
}
