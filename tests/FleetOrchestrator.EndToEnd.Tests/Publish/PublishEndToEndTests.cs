using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace FleetOrchestrator.EndToEnd.Tests.Publish;

/// <summary>Node + real registry + Docker engine: publish examples/containers through the publisher actor, then read it as a device.</summary>
public sealed class PublishEndToEndTests
{
    [Fact]
    public async Task Published_examples_reach_a_registered_device_verified_by_the_tuf_client()
    {
        await DockerEngine.RequireAsync();
        await using var registry = await RegistryProcess.StartAsync();
        await DockerEngine.PushAsync(await DockerEngine.BusyboxImageAsync(), registry.Address, "offline/busybox", "static");
        using var containers = await ContainersGit.FromExamplesAsync(registry.Address, "acme");
        await using var node = await RunningNode.StartAsync(registry.Address);
        var publisher = await node.App.Services.GetRequiredService<ActorRegistry>().GetAsync<PublisherActor>();

        var published = await publisher.Ask<object>(new PublishTarget(PublishTarget.NewJobId(), containers.Path, "main", "main", ["generic"], 1), TimeSpan.FromMinutes(3));

        var target = Assert.IsType<TargetPublished>(published);
        Assert.Equal("acme-1", target.Name);
        var (registration, certificate) = await node.RegisterAsync("device-e2e");
        using var _ = certificate;
        await node.WaitForTargetsVersionAsync(certificate, target.TargetsVersion);
        using var metadata = new TempDirectory();
        using var http = node.Client(certificate);
        var updater = await node.DeviceUpdaterAsync(registration, http, metadata.Path);

        await updater.RefreshAsync();
        var info = await updater.GetTargetInfoAsync("acme-1");
        var file = await updater.DownloadTargetAsync(info!);

        var apps = info!.File.Custom!["docker_compose_apps"]!.AsObject();
        Assert.Equal(["hello-world-app", "httpd", "simple-app"], apps.Select(a => a.Key).Order(StringComparer.Ordinal));
        Assert.Equal(target.AppUris["httpd"], (string)apps["httpd"]!["uri"]!);
        Assert.StartsWith($"{registry.Address}/acme/httpd@sha256:", target.AppUris["httpd"]);
        Assert.Equal(["main"], info.File.Custom!["tags"]!.AsArray().Select(t => (string)t!));
        Assert.Equal(apps.ToJsonString(), JsonNode.Parse(await File.ReadAllTextAsync(file))!.ToJsonString());
    }
}
