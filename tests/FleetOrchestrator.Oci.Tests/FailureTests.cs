using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Oci.Tests;

public class FailureTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private readonly CancellationToken _ct = CancellationToken.None;

    [Fact]
    public async Task Registry_that_is_down_fails_after_max_attempts()
    {
        var closedPort = $"127.0.0.1:{RegistryProcess.FreePort()}";
        using var client = Artifacts.Client(maxAttempts: 3);
        var started = DateTime.UtcNow;

        var error = await Assert.ThrowsAsync<OciRegistryUnavailableException>(() =>
            client.ResolveAsync(ImageReference.Parse($"{closedPort}/app:1"), _ct));

        Assert.Equal(3, error.Attempts);
        Assert.Equal(closedPort, error.Registry);
        Assert.Contains($"http://{closedPort}/v2/app/manifests/1", error.LastError);
        Assert.Contains("after 3 attempt(s)", error.Message);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Server_errors_are_retried_until_one_succeeds()
    {
        using var proxy = new LoopbackProxy(fixture.Address);
        using var client = Artifacts.Client(maxAttempts: 4);
        var repository = Artifacts.UniqueRepository("retry");
        var content = Artifacts.RandomBytes(300);
        var digest = await Artifacts.PushBytesAsync(client, fixture.Address, repository, content);
        var failuresLeft = 2;
        proxy.Intercept = request => request.StartsWith("GET ") && Interlocked.Decrement(ref failuresLeft) >= 0 ? 503 : null;

        await using var stream = await client.OpenBlobAsync(proxy.Address, repository, digest, content.Length, _ct);

        Assert.Equal(content, await Artifacts.ReadAllAsync(stream));
        Assert.Equal(3, proxy.Count("GET", $"/blobs/{digest}"));
    }

    [Fact]
    public async Task Persistent_server_errors_stop_at_max_attempts_with_the_last_error()
    {
        using var proxy = new LoopbackProxy(fixture.Address);
        using var client = Artifacts.Client(maxAttempts: 4);
        proxy.Intercept = _ => 502;

        var error = await Assert.ThrowsAsync<OciRegistryUnavailableException>(() => client.PingAsync(proxy.Address, _ct));

        Assert.Equal(4, error.Attempts);
        Assert.Contains("answered 502", error.LastError);
        Assert.Equal(4, proxy.Count("GET", "/v2/"));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(409)]
    public async Task Client_errors_are_not_retried(int status)
    {
        using var proxy = new LoopbackProxy(fixture.Address);
        using var client = Artifacts.Client(maxAttempts: 4);
        proxy.Intercept = _ => status;

        var error = await Assert.ThrowsAnyAsync<OciException>(() =>
            client.GetManifestAsync(proxy.Address, "factory/app", "v1", _ct));

        Assert.Equal(status, (int?)error.StatusCode);
        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task Manifest_bytes_not_matching_the_digest_are_refused()
    {
        using var proxy = new LoopbackProxy(fixture.Address);
        using var client = Artifacts.Client();
        var repository = Artifacts.UniqueRepository("tamper");
        var manifest = await Artifacts.PushArtifactBlobsAsync(client, fixture.Address, repository, Artifacts.RandomBytes(10));
        var digest = await client.PutManifestAsync(fixture.Address, repository, "v1", OciMediaTypes.OciManifest, manifest, _ct);
        proxy.AlterBody = (request, body) => request.Contains("/manifests/") ? FlipByte(body, body.Length - 2) : body;

        var byDigest = await Assert.ThrowsAsync<OciIntegrityException>(() =>
            client.GetManifestAsync(proxy.Address, repository, digest.ToString(), _ct));
        Assert.Equal(digest.ToString(), byDigest.Expected);
        Assert.Equal(Digest.Sha256(FlipByte(manifest, manifest.Length - 2)).ToString(), byDigest.Actual);

        // By tag, the registry's Docker-Content-Digest is what the body must match.
        var byTag = await Assert.ThrowsAsync<OciIntegrityException>(() => client.GetManifestAsync(proxy.Address, repository, "v1", _ct));
        Assert.Equal(digest.ToString(), byTag.Expected);
    }

    [Fact]
    public async Task Blob_bytes_not_matching_the_digest_fail_the_stream_before_the_last_bytes()
    {
        using var proxy = new LoopbackProxy(fixture.Address);
        using var client = Artifacts.Client();
        var repository = Artifacts.UniqueRepository("tamper");
        var content = Artifacts.RandomBytes(50_000);
        var digest = await Artifacts.PushBytesAsync(client, fixture.Address, repository, content);
        proxy.AlterBody = (request, body) => request.Contains("/blobs/sha256:") ? FlipByte(body, 40_000) : body;

        await using var stream = await client.OpenBlobAsync(proxy.Address, repository, digest, content.Length, _ct);
        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => Artifacts.ReadAllAsync(stream));

        Assert.Equal(digest.ToString(), error.Expected);
        Assert.Equal(Digest.Sha256(FlipByte(content, 40_000)).ToString(), error.Actual);
    }

    [Fact]
    public async Task Blob_with_more_or_fewer_bytes_than_expected_fails_the_stream()
    {
        using var proxy = new LoopbackProxy(fixture.Address) { SendChunked = true };
        using var client = Artifacts.Client();
        var repository = Artifacts.UniqueRepository("tamper");
        var content = Artifacts.RandomBytes(5000);
        var digest = await Artifacts.PushBytesAsync(client, fixture.Address, repository, content);

        proxy.AlterBody = (request, body) => request.Contains("/blobs/sha256:") ? [.. body, 42] : body;
        await using (var longer = await client.OpenBlobAsync(proxy.Address, repository, digest, content.Length, _ct))
            Assert.Contains("more", (await Assert.ThrowsAsync<OciIntegrityException>(() => Artifacts.ReadAllAsync(longer))).Actual);

        proxy.AlterBody = (request, body) => request.Contains("/blobs/sha256:") ? body[..^1] : body;
        await using (var shorter = await client.OpenBlobAsync(proxy.Address, repository, digest, content.Length, _ct))
            Assert.Equal("4999 bytes before the end", (await Assert.ThrowsAsync<OciIntegrityException>(() => Artifacts.ReadAllAsync(shorter))).Actual);
    }

    [Fact]
    public async Task Upload_location_on_another_server_is_refused()
    {
        using var proxy = new LoopbackProxy(fixture.Address);
        using var client = Artifacts.Client();
        var content = Artifacts.RandomBytes(100);
        // Through the proxy, but the registry's Location points at itself (another host:port): the client must not follow it.
        proxy.ForwardHost = false;

        var error = await Assert.ThrowsAsync<OciException>(() =>
            client.PushBlobAsync(proxy.Address, "factory/app", Digest.Sha256(content), content.Length, () => new MemoryStream(content), _ct));

        Assert.Contains($"upload location on another server (http://{fixture.Address})", error.Message);
        Assert.Equal(0, proxy.Count("PUT", "/blobs/uploads/"));
    }

    private static byte[] FlipByte(byte[] body, int index)
    {
        var copy = (byte[])body.Clone();
        copy[index] ^= 0x01;
        return copy;
    }
}
