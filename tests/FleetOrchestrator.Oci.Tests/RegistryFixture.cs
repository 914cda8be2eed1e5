using System.Text;
using System.Text.Json.Nodes;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Oci.Tests;

/// <summary>One real registry shared by the tests of a class; each test uses its own repository names.</summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    public RegistryProcess Registry { get; private set; } = null!;
    public string Address => Registry.Address;

    public async Task InitializeAsync() => Registry = await RegistryProcess.StartAsync();

    public async Task DisposeAsync() => await Registry.DisposeAsync();
}

internal static class Artifacts
{
    public static OciRegistryClient Client(long chunkSize = 8 * 1024 * 1024, int maxAttempts = 4, RegistryCredentials? credentials = null) =>
        new(new RegistryClientOptions
        {
            PlainHttp = true,
            Credentials = _ => credentials,
            ChunkSize = chunkSize,
            MaxAttempts = maxAttempts,
            BaseDelay = TimeSpan.FromMilliseconds(5),
            Timeout = TimeSpan.FromSeconds(10),
        });

    public static string UniqueRepository(string prefix) => $"{prefix}/r{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static ImageReference ReferenceTo(string domain, string repository, string tag) => ImageReference.Parse($"{domain}/{repository}:{tag}");

    public static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    public static async Task<Digest> PushBytesAsync(OciRegistryClient client, string domain, string repository, byte[] content)
    {
        var digest = Digest.Sha256(content);
        await client.PushBlobAsync(domain, repository, digest, content.Length, () => new MemoryStream(content), CancellationToken.None);
        return digest;
    }

    public static JsonObject Descriptor(string mediaType, Digest digest, long size) =>
        new() { ["mediaType"] = mediaType, ["digest"] = digest.ToString(), ["size"] = size };

    /// <summary>An app-style OCI artifact: empty config, one octet-stream layer; returns the manifest bytes.</summary>
    public static async Task<byte[]> PushArtifactBlobsAsync(OciRegistryClient client, string domain, string repository, byte[] layer)
    {
        var config = OciMediaTypes.OciEmptyContent.ToArray();
        var configDigest = await PushBytesAsync(client, domain, repository, config);
        var layerDigest = await PushBytesAsync(client, domain, repository, layer);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciMediaTypes.OciManifest,
            ["artifactType"] = "application/vnd.fio+compose-app",
            ["config"] = Descriptor(OciMediaTypes.OciEmpty, configDigest, config.Length),
            ["layers"] = new JsonArray(Descriptor(OciMediaTypes.OctetStream, layerDigest, layer.Length)),
            ["annotations"] = new JsonObject { ["compose-app"] = "v1" },
        };
        return Encoding.UTF8.GetBytes(manifest.ToJsonString());
    }

    public static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
