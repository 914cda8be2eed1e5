using FleetOrchestrator.Edge.Fetch;
using FleetOrchestrator.Oci;
using FleetOrchestrator.Publishing;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Edge.Tests.Fetch;

/// <summary>
/// examples/containers published for real to a registry process that doubles as the docker.io mirror holding
/// <c>offline/busybox:static</c> (an air-gapped factory), as devices will find them.
/// </summary>
public sealed class PublishedAppsFixture : IAsyncLifetime
{
    public RegistryProcess Registry { get; private set; } = null!;
    public string Address => Registry.Address;
    public IReadOnlyDictionary<string, PublishedApp> Apps { get; private set; } = null!;
    public IReadOnlyDictionary<string, string> Mirrors => new Dictionary<string, string> { [ImageReference.DockerHubDomain] = Address };

    private MachineLock? _ports;

    public async Task InitializeAsync()
    {
        // Edge.Tests and EndToEnd.Tests both run this collection; their runs of the published apps share host ports.
        _ports = await MachineLock.AcquireAsync("published-apps", TimeSpan.FromMinutes(30));
        Registry = await RegistryProcess.StartAsync();
        await DockerEngine.PushAsync(await DockerEngine.BusyboxImageAsync(), Address, "offline/busybox", "static");
        const string factory = "edge";
        using var repo = await ContainersGit.FromExamplesAsync(Address, factory);
        var result = await new PublishPipeline().RunAsync(new PublishRequest(repo.Path, Address, factory, PlainHttp: true, Mirrors: Mirrors));
        Apps = result.Apps.ToDictionary(a => a.Name);
    }

    /// <summary>A client for this registry; few quick retries so transient failures show fast.</summary>
    public static OciRegistryClient Client(HttpMessageHandler? handler = null, IReadOnlyDictionary<string, string>? mirrors = null) =>
        new(new RegistryClientOptions
        {
            PlainHttp = true,
            Credentials = _ => null,
            MaxAttempts = 2,
            BaseDelay = TimeSpan.FromMilliseconds(10),
            Mirrors = mirrors ?? new Dictionary<string, string>(),
        }, handler);

    public async Task<FetchedApp> FetchAsync(string app, string store)
    {
        using var client = Client();
        return await new AppFetcher(client, new BlobStore(store)).FetchAsync(Apps[app].Uri, default);
    }

    /// <summary>The file the registry serves for a blob or manifest, in its filesystem storage.</summary>
    public string StoragePathOf(string digest)
    {
        var hex = Digest.Parse(digest).Hex;
        return Path.Combine(Registry.RootDirectory, "data", "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
    }

    public Task DisposeAsync()
    {
        Registry.Dispose();
        _ports?.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class PublishedAppsCollection : ICollectionFixture<PublishedAppsFixture>
{
    /// <summary>Fetch, install, compose and whole-system device tests share one publish and run one after another (httpd binds 127.0.0.1:18080); across test projects a <see cref="MachineLock"/> keeps them apart.</summary>
    public const string Name = "published apps";
}
