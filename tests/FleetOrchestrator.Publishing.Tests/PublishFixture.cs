using FleetOrchestrator.Oci;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Publishing.Tests;

/// <summary>
/// A real registry that is both the factory registry and the docker.io mirror of an air-gapped factory,
/// holding the offline base image as <c>offline/busybox:static</c>.
/// </summary>
public sealed class PublishFixture : IAsyncLifetime
{
    public RegistryProcess Registry { get; private set; } = null!;
    public string Address => Registry.Address;
    public Digest BaseImageDigest { get; private set; }

    public async Task InitializeAsync()
    {
        Registry = await RegistryProcess.StartAsync();
        var image = await DockerEngine.BusyboxImageAsync();
        await DockerEngine.PushAsync(image, Address, "offline/busybox", "static");
        using var client = Client();
        BaseImageDigest = (await client.ResolveAsync(ImageReference.Parse($"{Address}/offline/busybox:static"), default)).Digest;
    }

    public OciRegistryClient Client() => new(new RegistryClientOptions { PlainHttp = true });

    public PublishRequest Request(ContainersGit repo, string factory, long? version = null) =>
        new(repo.Path, Address, factory, Version: version, PlainHttp: true,
            Mirrors: new Dictionary<string, string> { ["docker.io"] = Address });

    public Task DisposeAsync()
    {
        Registry.Dispose();
        return Task.CompletedTask;
    }
}
