using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using FleetOrchestrator.ComposeApps.Compose;
using FleetOrchestrator.Oci;
using FleetOrchestrator.Publishing;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Publishing.Benchmarks;

/// <summary>
/// Pinning cost: one image reference against fifty, through <see cref="ImageResolver"/>, on a real
/// registry process (each image: its manifest, then its config for the platform). <see cref="RoundTripMs"/> adds a client-side delay per request to stand for a registry
/// that is not on this machine (0 = raw loopback).
/// </summary>
[Config(typeof(InProcessConfig))]
public class ImageResolutionBenchmarks
{
    /// <summary>In process: no generated project to build, so the run does not depend on a quiet build machine.</summary>
    private sealed class InProcessConfig : ManualConfig
    {
        public InProcessConfig() => AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15)
            .WithToolchain(BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance));
    }

    private const int Images = 50;
    private RegistryProcess _registry = null!;
    private OciRegistryClient _client = null!;
    private List<(string App, PinRequest Request)> _fifty = null!;

    [Params(0, 20, 50)]
    public int RoundTripMs { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _registry = await RegistryProcess.StartAsync();
        using (var seeding = new OciRegistryClient(new RegistryClientOptions { PlainHttp = true }))
        {
            // Fifty distinct images (distinct repositories and manifests), so nothing is resolved twice.
            for (var i = 0; i < Images; i++)
            {
                var layer = System.Text.Encoding.UTF8.GetBytes($"layer {i}");
                var config = """{"os":"linux","architecture":"amd64"}"""u8.ToArray();
                var repository = $"bench/image{i}";
                await seeding.PushBlobAsync(_registry.Address, repository, Digest.Sha256(layer), layer.Length, () => new MemoryStream(layer), default);
                await seeding.PushBlobAsync(_registry.Address, repository, Digest.Sha256(config), config.Length, () => new MemoryStream(config), default);
                var manifest = System.Text.Encoding.UTF8.GetBytes(
                    $$$"""{"schemaVersion":2,"mediaType":"{{{OciMediaTypes.OciManifest}}}","config":{"mediaType":"{{{OciMediaTypes.OciImageConfig}}}","digest":"{{{Digest.Sha256(config)}}}","size":{{{config.Length}}}},"layers":[{"mediaType":"{{{OciMediaTypes.OciLayer}}}","digest":"{{{Digest.Sha256(layer)}}}","size":{{{layer.Length}}}}]}""");
                await seeding.PutManifestAsync(_registry.Address, repository, "v1", OciMediaTypes.OciManifest, manifest, default);
            }
        }
        var handler = new DelayingHandler(TimeSpan.FromMilliseconds(RoundTripMs)) { InnerHandler = new SocketsHttpHandler() };
        _client = new OciRegistryClient(new RegistryClientOptions { PlainHttp = true }, handler);
        _fifty = Enumerable.Range(0, Images)
            .Select(i => ("app", new PinRequest($"s{i}", $"image{i}:v1", ImageReference.Parse($"{_registry.Address}/bench/image{i}:v1"))))
            .ToList();
    }

    [Benchmark(Baseline = true)]
    public Task ResolveOne() => new ImageResolver(_client).ResolveAsync(_fifty.Take(1), default);

    [Benchmark]
    public Task ResolveFifty() => new ImageResolver(_client).ResolveAsync(_fifty, default);

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _registry.Dispose();
    }

    /// <summary>Stands for network distance: each request waits before it is sent.</summary>
    private sealed class DelayingHandler(TimeSpan delay) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (delay > TimeSpan.Zero) await Task.Delay(delay, ct);
            return await base.SendAsync(request, ct);
        }
    }
}
