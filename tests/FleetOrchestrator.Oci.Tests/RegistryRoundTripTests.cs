using System.Text;
using System.Text.Json.Nodes;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Oci.Tests;

public class RegistryRoundTripTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private readonly CancellationToken _ct = CancellationToken.None;

    [Fact]
    public async Task Monolithic_blob_push_reads_back_verified_and_is_not_pushed_twice()
    {
        using var client = Artifacts.Client();
        var repository = Artifacts.UniqueRepository("blobs");
        var content = Artifacts.RandomBytes(100_000);
        var digest = Digest.Sha256(content);
        Assert.False(await client.BlobExistsAsync(fixture.Address, repository, digest, _ct));

        await client.PushBlobAsync(fixture.Address, repository, digest, content.Length, () => new MemoryStream(content), _ct);

        Assert.True(await client.BlobExistsAsync(fixture.Address, repository, digest, _ct));
        await using (var stream = await client.OpenBlobAsync(fixture.Address, repository, digest, content.Length, _ct))
            Assert.Equal(content, await Artifacts.ReadAllAsync(stream));
        // Already there: the content is never opened.
        await client.PushBlobAsync(fixture.Address, repository, digest, content.Length,
            () => throw new InvalidOperationException("content opened for a blob the registry has"), _ct);
    }

    [Fact]
    public async Task Chunked_push_sends_patches_of_chunk_size_and_reads_back()
    {
        using var proxy = new LoopbackProxy(fixture.Address);
        using var client = Artifacts.Client(chunkSize: 1000);
        var repository = Artifacts.UniqueRepository("chunks");
        var content = Artifacts.RandomBytes(3500);

        var digest = await Artifacts.PushBytesAsync(client, proxy.Address, repository, content);

        Assert.Equal(4, proxy.Count("PATCH", "/blobs/uploads/"));
        Assert.Equal(1, proxy.Count("PUT", "/blobs/uploads/"));
        await using var stream = await client.OpenBlobAsync(fixture.Address, repository, digest, content.Length, _ct);
        Assert.Equal(content, await Artifacts.ReadAllAsync(stream));
    }

    [Fact]
    public async Task Chunked_push_of_an_exact_multiple_and_an_empty_blob()
    {
        using var client = Artifacts.Client(chunkSize: 1000);
        var repository = Artifacts.UniqueRepository("chunks");
        foreach (var content in new[] { Artifacts.RandomBytes(2000), Array.Empty<byte>() })
        {
            var digest = await Artifacts.PushBytesAsync(client, fixture.Address, repository, content);
            await using var stream = await client.OpenBlobAsync(fixture.Address, repository, digest, content.Length, _ct);
            Assert.Equal(content, await Artifacts.ReadAllAsync(stream));
        }
    }

    [Theory]
    [InlineData(1_000_000, 10)]   // monolithic
    [InlineData(1000, 10)]        // chunked
    public async Task Push_of_content_not_matching_digest_or_size_is_refused_and_not_committed(long chunkSize, int extra)
    {
        using var client = Artifacts.Client(chunkSize: chunkSize);
        var repository = Artifacts.UniqueRepository("refused");
        var content = Artifacts.RandomBytes(2500);
        var digest = Digest.Sha256(content);
        var tampered = (byte[])content.Clone();
        tampered[1234] ^= 0xFF;

        var wrongDigest = await Assert.ThrowsAsync<OciIntegrityException>(() =>
            client.PushBlobAsync(fixture.Address, repository, digest, content.Length, () => new MemoryStream(tampered), _ct));
        Assert.Equal(digest.ToString(), wrongDigest.Expected);
        Assert.Equal(Digest.Sha256(tampered).ToString(), wrongDigest.Actual);

        var longer = content.Concat(new byte[extra]).ToArray();
        var tooLong = await Assert.ThrowsAsync<OciIntegrityException>(() =>
            client.PushBlobAsync(fixture.Address, repository, digest, content.Length, () => new MemoryStream(longer), _ct));
        Assert.Contains("more than 2500 bytes", tooLong.Message);

        var tooShort = await Assert.ThrowsAsync<OciIntegrityException>(() =>
            client.PushBlobAsync(fixture.Address, repository, digest, content.Length, () => new MemoryStream(content[..2000]), _ct));
        Assert.Equal("2000 bytes", tooShort.Actual);
        Assert.False(await client.BlobExistsAsync(fixture.Address, repository, digest, _ct));
    }

    [Fact]
    public async Task Oci_artifact_manifest_round_trips_by_tag_and_digest()
    {
        using var client = Artifacts.Client();
        var repository = Artifacts.UniqueRepository("factory");
        var manifest = await Artifacts.PushArtifactBlobsAsync(client, fixture.Address, repository, Artifacts.RandomBytes(5000));

        var digest = await client.PutManifestAsync(fixture.Address, repository, "app-1", OciMediaTypes.OciManifest, manifest, _ct);

        Assert.Equal(Digest.Sha256(manifest), digest);
        var byTag = await client.GetManifestAsync(fixture.Address, repository, "app-1", _ct);
        var byDigest = await client.GetManifestAsync(fixture.Address, repository, digest.ToString(), _ct);
        foreach (var fetched in new[] { byTag, byDigest })
        {
            Assert.Equal(manifest, fetched.Content);
            Assert.Equal(digest, fetched.Digest);
            Assert.Equal(OciMediaTypes.OciManifest, fetched.MediaType);
        }
        var json = JsonNode.Parse(byDigest.Content)!;
        Assert.Equal("application/vnd.fio+compose-app", (string?)json["artifactType"]);
        Assert.Equal(OciMediaTypes.OciEmpty, (string?)json["config"]!["mediaType"]);

        var resolved = await client.ResolveAsync(ImageReference.Parse($"{fixture.Address}/{repository}:app-1"), _ct);
        Assert.Equal(new ManifestDescriptor(OciMediaTypes.OciManifest, digest, manifest.Length), resolved);
        var pinned = ImageReference.Parse($"{fixture.Address}/{repository}:app-1").WithDigest(digest);
        Assert.Equal(resolved, await client.ResolveAsync(pinned, _ct));
    }

    [Fact]
    public async Task Manifest_put_by_digest_must_match_its_content()
    {
        using var client = Artifacts.Client();
        var repository = Artifacts.UniqueRepository("factory");
        var manifest = await Artifacts.PushArtifactBlobsAsync(client, fixture.Address, repository, Artifacts.RandomBytes(10));
        var other = Digest.Sha256("other"u8);

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() =>
            client.PutManifestAsync(fixture.Address, repository, other.ToString(), OciMediaTypes.OciManifest, manifest, _ct));
        Assert.Equal(other.ToString(), error.Expected);

        var digest = await client.PutManifestAsync(fixture.Address, repository, Digest.Sha256(manifest).ToString(), OciMediaTypes.OciManifest, manifest, _ct);
        Assert.Equal(manifest, (await client.GetManifestAsync(fixture.Address, repository, digest.ToString(), _ct)).Content);
    }

    [Fact]
    public async Task Resolve_of_a_docker_pushed_image_matches_the_engine_repo_digest()
    {
        var image = await DockerEngine.BusyboxImageAsync("oci-resolve");
        var repository = Artifacts.UniqueRepository("images");
        var pushed = await DockerEngine.PushAsync(image, fixture.Address, repository, "v1");
        var repoDigests = await DockerEngine.RunAsync("image", "inspect", "--format", "{{json .RepoDigests}}", pushed);
        using var client = Artifacts.Client();

        var resolved = await client.ResolveAsync(ImageReference.Parse(pushed), _ct);

        Assert.Contains($"\"{fixture.Address}/{repository}@{resolved.Digest}\"", repoDigests);
        Assert.Equal(OciMediaTypes.DockerManifest, resolved.MediaType);
        var manifest = await client.GetManifestAsync(fixture.Address, repository, resolved.Digest.ToString(), _ct);
        Assert.Equal(resolved.Size, manifest.Content.Length);
    }

    [Fact]
    public async Task Resolve_of_a_multi_arch_tag_gives_the_index_digest()
    {
        using var client = Artifacts.Client();
        var repository = Artifacts.UniqueRepository("multiarch");
        var platforms = new JsonArray();
        foreach (var architecture in new[] { "amd64", "arm64" })
        {
            var config = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["architecture"] = architecture, ["os"] = "linux",
                ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() },
            }.ToJsonString());
            var configDigest = await Artifacts.PushBytesAsync(client, fixture.Address, repository, config);
            var manifest = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = OciMediaTypes.OciManifest,
                ["config"] = Artifacts.Descriptor(OciMediaTypes.OciImageConfig, configDigest, config.Length),
                ["layers"] = new JsonArray(),
            }.ToJsonString());
            var manifestDigest = await client.PutManifestAsync(fixture.Address, repository, $"only-{architecture}", OciMediaTypes.OciManifest, manifest, _ct);
            var entry = Artifacts.Descriptor(OciMediaTypes.OciManifest, manifestDigest, manifest.Length);
            entry["platform"] = new JsonObject { ["architecture"] = architecture, ["os"] = "linux" };
            platforms.Add(entry);
        }
        var index = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = OciMediaTypes.OciIndex, ["manifests"] = platforms,
        }.ToJsonString());
        var indexDigest = await client.PutManifestAsync(fixture.Address, repository, "multi", OciMediaTypes.OciIndex, index, _ct);

        var resolved = await client.ResolveAsync(ImageReference.Parse($"{fixture.Address}/{repository}:multi"), _ct);

        Assert.Equal(new ManifestDescriptor(OciMediaTypes.OciIndex, Digest.Sha256(index), index.Length), resolved);
        Assert.Equal(indexDigest, resolved.Digest);
    }

    [Fact]
    public async Task Missing_manifests_and_blobs_are_named_in_404_errors()
    {
        using var client = Artifacts.Client();
        var repository = Artifacts.UniqueRepository("missing");
        var missingTag = await Assert.ThrowsAsync<OciNotFoundException>(() =>
            client.ResolveAsync(ImageReference.Parse($"{fixture.Address}/{repository}:nope"), _ct));
        Assert.Equal(("manifest", repository, "nope"), (missingTag.What, missingTag.Repository, missingTag.Reference));
        Assert.Contains($"manifest nope not found in {fixture.Address}/{repository}", missingTag.Message);

        var viaGet = await Assert.ThrowsAsync<OciNotFoundException>(() => client.GetManifestAsync(fixture.Address, repository, "nope", _ct));
        Assert.Contains("MANIFEST_UNKNOWN", viaGet.Message); // the registry's error code is quoted

        var digest = Digest.Sha256("absent"u8);
        var missingBlob = await Assert.ThrowsAsync<OciNotFoundException>(() => client.OpenBlobAsync(fixture.Address, repository, digest, 6, _ct));
        Assert.Equal(("blob", digest.ToString()), (missingBlob.What, missingBlob.Reference));
        Assert.Contains("BLOB_UNKNOWN", missingBlob.Message);
    }

    [Fact]
    public async Task Oversized_manifest_is_refused_from_its_content_length()
    {
        using var proxy = new LoopbackProxy(fixture.Address);
        using var client = Artifacts.Client();
        var repository = Artifacts.UniqueRepository("big");
        var manifest = await Artifacts.PushArtifactBlobsAsync(client, fixture.Address, repository, Artifacts.RandomBytes(10));
        var digest = await client.PutManifestAsync(fixture.Address, repository, "v1", OciMediaTypes.OciManifest, manifest, _ct);

        var error = await Assert.ThrowsAsync<OciTooLargeException>(() =>
            client.GetManifestAsync(fixture.Address, repository, digest.ToString(), _ct, maxBytes: manifest.Length - 1));
        Assert.Contains($"limit {manifest.Length - 1} bytes, got Content-Length {manifest.Length}", error.Message);
        Assert.Equal(manifest, (await client.GetManifestAsync(fixture.Address, repository, digest.ToString(), _ct, maxBytes: manifest.Length)).Content);

        // Without a Content-Length (chunked answer) the read stops at the limit.
        proxy.SendChunked = true;
        proxy.AlterBody = (request, body) => request.Contains("/manifests/") ? body.Concat(new byte[4096]).ToArray() : body;
        var streamed = await Assert.ThrowsAsync<OciTooLargeException>(() =>
            client.GetManifestAsync(proxy.Address, repository, digest.ToString(), _ct, maxBytes: manifest.Length + 100));
        Assert.Contains($"limit {manifest.Length + 100} bytes, got more than {manifest.Length + 100} bytes", streamed.Message);
    }

    [Fact]
    public async Task Resumed_blob_read_returns_the_remaining_bytes()
    {
        using var client = Artifacts.Client();
        var repository = Artifacts.UniqueRepository("resume");
        var content = Artifacts.RandomBytes(10_000);
        var digest = await Artifacts.PushBytesAsync(client, fixture.Address, repository, content);

        await using var rest = await client.OpenBlobAsync(fixture.Address, repository, digest, content.Length, _ct, offset: 6000);
        Assert.Equal(content[6000..], await Artifacts.ReadAllAsync(rest));

        // The Content-Range already shows the sizes differ: refused before any byte is handed out.
        var error = await Assert.ThrowsAsync<OciIntegrityException>(() =>
            client.OpenBlobAsync(fixture.Address, repository, digest, content.Length + 1, _ct, offset: 6000));
        Assert.Equal(("10001 bytes", "10000 bytes (Content-Range bytes 6000-9999/10000)"), (error.Expected, error.Actual));
    }

    [Fact]
    public async Task Resume_answered_with_the_whole_blob_still_checks_its_digest()
    {
        using var proxy = new LoopbackProxy(fixture.Address);
        proxy.DropRequestHeaders.Add("Range"); // a server that ignores Range answers 200 with everything
        using var client = Artifacts.Client();
        var repository = Artifacts.UniqueRepository("resume");
        var content = Artifacts.RandomBytes(10_000);
        var digest = await Artifacts.PushBytesAsync(client, fixture.Address, repository, content);

        await using (var rest = await client.OpenBlobAsync(proxy.Address, repository, digest, content.Length, _ct, offset: 6000))
            Assert.Equal(content[6000..], await Artifacts.ReadAllAsync(rest));

        proxy.AlterBody = (request, body) => request.Contains("/blobs/sha256:") ? [(byte)(body[0] ^ 1), .. body[1..]] : body;
        await using var tampered = await client.OpenBlobAsync(proxy.Address, repository, digest, content.Length, _ct, offset: 6000);
        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => Artifacts.ReadAllAsync(tampered));
        Assert.Equal(digest.ToString(), error.Expected);
    }
}
