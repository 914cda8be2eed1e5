using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using FleetOrchestrator.ComposeApps.Artifacts;
using FleetOrchestrator.Edge.Fetch;
using FleetOrchestrator.Oci;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Edge.Tests.Fetch;

[Collection(PublishedAppsCollection.Name)]
public class AppFetcherTests(PublishedAppsFixture published)
{
    [Fact]
    public async Task Fetches_manifest_index_and_bundle_into_the_store_verified()
    {
        using var store = new TempDirectory();
        var app = published.Apps["httpd"];

        var fetched = await published.FetchAsync("httpd", store.Path);

        Assert.Equal(app.BundleDigest, fetched.Manifest.BundleDigest.ToString());
        Assert.Equal(app.BundleSize, fetched.Manifest.BundleSize);
        Assert.Equal("httpd", fetched.PublishedName);
        Assert.Equal(store.Combine("blobs", "sha256", Digest.Parse(app.BundleDigest).Hex), fetched.BundlePath);
        Assert.Equal(app.BundleDigest, await Sha256Of(fetched.BundlePath));
        Assert.Equal(fetched.Manifest.IndexDigest.ToString(), await Sha256Of(fetched.IndexPath));
        Assert.Equal(app.ManifestDigest, await Sha256Of(store.Combine("blobs", "sha256", Digest.Parse(app.ManifestDigest).Hex)));
        Assert.Empty(Directory.GetFiles(store.Path, "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Does_not_contact_the_registry_for_an_app_already_in_the_store()
    {
        using var store = new TempDirectory();
        await published.FetchAsync("httpd", store.Path);
        // Every request would now go to a closed port.
        using var offline = PublishedAppsFixture.Client(mirrors: new Dictionary<string, string> { [published.Address] = $"127.0.0.1:{RegistryProcess.FreePort()}" });

        var again = await new AppFetcher(offline, new BlobStore(store.Path)).FetchAsync(published.Apps["httpd"].Uri, default);

        Assert.Equal(published.Apps["httpd"].BundleDigest, await Sha256Of(again.BundlePath));
    }

    [Fact]
    public async Task Resumes_a_partial_bundle_with_a_range_request_and_verifies_the_whole_file()
    {
        using var full = new TempDirectory();
        using var store = new TempDirectory();
        var fetched = await published.FetchAsync("httpd", full.Path);
        var bytes = await File.ReadAllBytesAsync(fetched.BundlePath);
        var blobs = new BlobStore(store.Path);
        await File.WriteAllBytesAsync(blobs.PartialPathOf(fetched.Manifest.BundleDigest), bytes[..(bytes.Length / 2)]);
        var recorder = new RangeRecorder();
        using var client = PublishedAppsFixture.Client(recorder);

        var resumed = await new AppFetcher(client, blobs).FetchAsync(published.Apps["httpd"].Uri, default);

        Assert.Contains($"bytes={bytes.Length / 2}-", recorder.Ranges);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(resumed.BundlePath));
        Assert.False(File.Exists(blobs.PartialPathOf(fetched.Manifest.BundleDigest)));
    }

    [Fact]
    public async Task A_partial_file_with_wrong_bytes_is_downloaded_again_from_the_start()
    {
        using var store = new TempDirectory();
        var blobs = new BlobStore(store.Path);
        var bundle = Digest.Parse(published.Apps["httpd"].BundleDigest);
        await File.WriteAllBytesAsync(blobs.PartialPathOf(bundle), new byte[published.Apps["httpd"].BundleSize / 2]);
        using var client = PublishedAppsFixture.Client();

        var fetched = await new AppFetcher(client, blobs).FetchAsync(published.Apps["httpd"].Uri, default);

        Assert.Equal(bundle.ToString(), await Sha256Of(fetched.BundlePath));
    }

    [Fact]
    public async Task A_bundle_tampered_with_in_the_registry_is_refused_as_permanent_and_nothing_is_kept()
    {
        var app = published.Apps["simple-app"];
        var storage = published.StoragePathOf(app.BundleDigest);
        var original = await File.ReadAllBytesAsync(storage);
        var tampered = (byte[])original.Clone();
        tampered[^10] ^= 0xff;
        await File.WriteAllBytesAsync(storage, tampered);
        try
        {
            using var store = new TempDirectory();
            var error = await Assert.ThrowsAsync<AppFetchException>(() => published.FetchAsync("simple-app", store.Path));

            Assert.False(error.Transient);
            Assert.IsType<OciIntegrityException>(error.InnerException);
            Assert.Contains(app.BundleDigest, error.Message);
            Assert.False(File.Exists(store.Combine("blobs", "sha256", Digest.Parse(app.BundleDigest).Hex)));
            Assert.Empty(Directory.GetFiles(store.Path, "*.partial", SearchOption.AllDirectories));
        }
        finally
        {
            await File.WriteAllBytesAsync(storage, original);
        }
    }

    [Fact]
    public async Task A_manifest_whose_bytes_do_not_hash_to_the_uri_digest_is_refused_as_permanent()
    {
        var app = published.Apps["simple-app"];
        var storage = published.StoragePathOf(app.ManifestDigest);
        var original = await File.ReadAllBytesAsync(storage);
        // Same length, same JSON shape: only the digest can tell.
        await File.WriteAllBytesAsync(storage, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(original).Replace("\"v1\"", "\"v2\"")));
        try
        {
            using var store = new TempDirectory();
            var error = await Assert.ThrowsAsync<AppFetchException>(() => published.FetchAsync("simple-app", store.Path));

            Assert.False(error.Transient);
            Assert.IsType<OciIntegrityException>(error.InnerException);
            Assert.Empty(Directory.GetFiles(store.Path, "*", SearchOption.AllDirectories));
        }
        finally
        {
            await File.WriteAllBytesAsync(storage, original);
        }
    }

    [Fact]
    public async Task An_image_that_is_not_a_compose_app_is_refused_as_permanent()
    {
        using var client = PublishedAppsFixture.Client();
        var image = await client.ResolveAsync(ImageReference.Parse($"{published.Address}/offline/busybox:static"), default);
        using var store = new TempDirectory();

        var error = await Assert.ThrowsAsync<AppFetchException>(() =>
            new AppFetcher(client, new BlobStore(store.Path)).FetchAsync($"{published.Address}/offline/busybox@{image.Digest}", default));

        Assert.False(error.Transient);
        Assert.IsType<AppManifestException>(error.InnerException);
        // A docker image manifest: refused on its media type, before the annotation is looked at.
        Assert.Contains("mediaType is 'application/vnd.docker.distribution.manifest.v2+json'", error.Message);
    }

    [Fact]
    public async Task An_artifact_without_the_compose_app_annotation_is_refused_as_permanent()
    {
        using var client = PublishedAppsFixture.Client();
        const string repository = "edge/not-an-app";
        var manifest = await PushArtifactAsync(client, repository, "\"other\":\"v1\"");
        using var store = new TempDirectory();

        var error = await Assert.ThrowsAsync<AppFetchException>(() =>
            new AppFetcher(client, new BlobStore(store.Path)).FetchAsync($"{published.Address}/{repository}@{manifest}", default));

        Assert.False(error.Transient);
        Assert.Contains("lacks the annotation compose-app: v1", error.Message);
        Assert.Empty(Directory.GetFiles(store.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_manifest_over_50_KiB_is_refused_as_permanent()
    {
        using var client = PublishedAppsFixture.Client();
        const string repository = "edge/huge-app";
        var digest = await PushArtifactAsync(client, repository, $"\"compose-app\":\"v1\",\"padding\":\"{new string('x', AppManifest.MaxBytes)}\"");
        using var store = new TempDirectory();

        var error = await Assert.ThrowsAsync<AppFetchException>(() =>
            new AppFetcher(client, new BlobStore(store.Path)).FetchAsync($"{published.Address}/{repository}@{digest}", default));

        Assert.False(error.Transient);
        Assert.IsType<OciTooLargeException>(error.InnerException);
    }

    [Fact]
    public async Task An_unreachable_registry_is_a_transient_failure()
    {
        using var client = PublishedAppsFixture.Client();
        using var store = new TempDirectory();
        var uri = $"127.0.0.1:{RegistryProcess.FreePort()}/edge/httpd@{published.Apps["httpd"].ManifestDigest}";

        var error = await Assert.ThrowsAsync<AppFetchException>(() => new AppFetcher(client, new BlobStore(store.Path)).FetchAsync(uri, default));

        Assert.True(error.Transient);
        Assert.IsType<OciRegistryUnavailableException>(error.InnerException);
    }

    [Fact]
    public async Task An_unknown_digest_and_a_tagged_uri_are_permanent_failures()
    {
        using var client = PublishedAppsFixture.Client();
        using var store = new TempDirectory();
        var fetcher = new AppFetcher(client, new BlobStore(store.Path));

        var unknown = await Assert.ThrowsAsync<AppFetchException>(() =>
            fetcher.FetchAsync($"{published.Address}/edge/httpd@{Digest.Sha256("nothing"u8)}", default));
        var tagged = await Assert.ThrowsAsync<AppFetchException>(() => fetcher.FetchAsync($"{published.Address}/edge/httpd:app-1", default));

        Assert.False(unknown.Transient);
        Assert.IsType<OciNotFoundException>(unknown.InnerException);
        Assert.False(tagged.Transient);
        Assert.Contains("digest", tagged.Message);
    }

    [Fact]
    public async Task A_bundle_that_would_cross_the_storage_watermark_is_not_downloaded()
    {
        using var client = PublishedAppsFixture.Client();
        using var store = new TempDirectory();
        var blobs = new BlobStore(store.Path);
        // The test machine's disk is more than 0.01 % used, so any bundle crosses this watermark.
        var fetcher = new AppFetcher(client, blobs, new AppFetcherOptions { StorageWatermark = 0.0001 });

        var error = await Assert.ThrowsAsync<AppFetchException>(() => fetcher.FetchAsync(published.Apps["httpd"].Uri, default));

        Assert.True(error.Transient);
        Assert.Contains("watermark", error.Message);
        Assert.False(File.Exists(blobs.PathOf(Digest.Parse(published.Apps["httpd"].BundleDigest))));
    }

    /// <summary>Pushes an OCI artifact manifest with no layers and the given annotations (JSON members); returns its digest.</summary>
    private async Task<Digest> PushArtifactAsync(OciRegistryClient client, string repository, string annotations)
    {
        await client.PushBlobAsync(published.Address, repository, AppManifest.EmptyConfigDigest, 2, () => new MemoryStream("{}"u8.ToArray()), default);
        var manifest = Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"mediaType":"{{{OciMediaTypes.OciManifest}}}","config":{"mediaType":"{{{OciMediaTypes.OciEmpty}}}","digest":"{{{AppManifest.EmptyConfigDigest}}}","size":2},"layers":[],"annotations":{"""
            + annotations + "}}");
        return await client.PutManifestAsync(published.Address, repository, "t", OciMediaTypes.OciManifest, manifest, default);
    }

    private static async Task<string> Sha256Of(string path)
    {
        await using var file = File.OpenRead(path);
        return "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
    }

    /// <summary>Records the Range header of every request, then sends it on for real.</summary>
    private sealed class RangeRecorder() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        public List<string> Ranges { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.Headers.Range is RangeHeaderValue range) lock (Ranges) Ranges.Add(range.ToString());
            return base.SendAsync(request, ct);
        }
    }
}
