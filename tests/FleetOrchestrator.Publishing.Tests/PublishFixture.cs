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

    /// <summary>
    /// Pushes <c>offline/arm64-only:1</c> (one manifest whose config says linux/arm64) and
    /// <c>offline/multi:1</c> (an OCI index of it and the amd64 base image); returns the index digest.
    /// </summary>
    public async Task<Digest> PushMultiArchImagesAsync()
    {
        using var client = Client();
        var config = """{"os":"linux","architecture":"arm64","rootfs":{"type":"layers","diff_ids":[]}}"""u8.ToArray();
        var emptyLayer = "arm64 layer"u8.ToArray();
        foreach (var repository in new[] { "offline/arm64-only", "offline/multi" })
        {
            await client.PushBlobAsync(Address, repository, Digest.Sha256(config), config.Length, () => new MemoryStream(config), default);
            await client.PushBlobAsync(Address, repository, Digest.Sha256(emptyLayer), emptyLayer.Length, () => new MemoryStream(emptyLayer), default);
        }
        var arm = System.Text.Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"mediaType":"{{{OciMediaTypes.OciManifest}}}","config":{"mediaType":"{{{OciMediaTypes.OciImageConfig}}}","digest":"{{{Digest.Sha256(config)}}}","size":{{{config.Length}}}},"layers":[{"mediaType":"{{{OciMediaTypes.OciLayer}}}","digest":"{{{Digest.Sha256(emptyLayer)}}}","size":{{{emptyLayer.Length}}}}]}""");
        await client.PutManifestAsync(Address, "offline/arm64-only", "1", OciMediaTypes.OciManifest, arm, default);
        await client.PutManifestAsync(Address, "offline/multi", Digest.Sha256(arm).ToString(), OciMediaTypes.OciManifest, arm, default);

        // The amd64 member: the base image's manifest and blobs, copied into offline/multi by tag.
        var amd = await client.GetManifestAsync(Address, "offline/busybox", "static", default);
        await DockerEngine.PushAsync(await DockerEngine.BusyboxImageAsync(), Address, "offline/multi", "amd64");
        var index = System.Text.Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"mediaType":"{{{OciMediaTypes.OciIndex}}}","manifests":[{"mediaType":"{{{amd.MediaType}}}","digest":"{{{amd.Digest}}}","size":{{{amd.Content.Length}}},"platform":{"os":"linux","architecture":"amd64"}},{"mediaType":"{{{OciMediaTypes.OciManifest}}}","digest":"{{{Digest.Sha256(arm)}}}","size":{{{arm.Length}}},"platform":{"os":"linux","architecture":"arm64"}}]}""");
        return await client.PutManifestAsync(Address, "offline/multi", "1", OciMediaTypes.OciIndex, index, default);
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
