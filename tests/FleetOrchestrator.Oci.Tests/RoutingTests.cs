using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace FleetOrchestrator.Oci.Tests;

/// <summary>Where requests go: mirrors, redirects, timeouts, and answers missing optional headers.</summary>
public class RoutingTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private readonly CancellationToken _ct = CancellationToken.None;

    [Fact]
    public async Task Mirror_serves_a_docker_hub_reference_which_keeps_its_domain()
    {
        using var client = new OciRegistryClient(new RegistryClientOptions
        {
            PlainHttp = true,
            Credentials = _ => null,
            Mirrors = new Dictionary<string, string> { [ImageReference.DockerHubDomain] = fixture.Address },
        });
        var repository = Artifacts.UniqueRepository("mirror");
        var manifest = await Artifacts.PushArtifactBlobsAsync(client, fixture.Address, repository, Artifacts.RandomBytes(10));
        var digest = await client.PutManifestAsync(fixture.Address, repository, "v1", OciMediaTypes.OciManifest, manifest, _ct);
        var reference = ImageReference.Parse($"{repository}:v1");

        var resolved = await client.ResolveAsync(reference, _ct);

        Assert.Equal(digest, resolved.Digest);
        Assert.Equal($"docker.io/{repository}@{digest}", reference.WithDigest(resolved.Digest).ToString());
    }

    [Fact]
    public async Task Resolve_without_a_digest_header_hashes_the_manifest()
    {
        using var proxy = new LoopbackProxy(fixture.Address);
        proxy.DropResponseHeaders.Add("Docker-Content-Digest");
        using var client = Artifacts.Client();
        var repository = Artifacts.UniqueRepository("nodigest");
        var manifest = await Artifacts.PushArtifactBlobsAsync(client, fixture.Address, repository, Artifacts.RandomBytes(10));
        await client.PutManifestAsync(fixture.Address, repository, "v1", OciMediaTypes.OciManifest, manifest, _ct);

        var resolved = await client.ResolveAsync(Artifacts.ReferenceTo(proxy.Address, repository, "v1"), _ct);

        Assert.Equal(new ManifestDescriptor(OciMediaTypes.OciManifest, Digest.Sha256(manifest), manifest.Length), resolved);
        Assert.Equal((1, 1), (proxy.Count("HEAD", "/manifests/v1"), proxy.Count("GET", "/manifests/v1")));
    }

    [Fact]
    public async Task Blob_redirects_keep_credentials_on_the_same_server_only()
    {
        var content = Encoding.UTF8.GetBytes("blob behind a redirect");
        var digest = Digest.Sha256(content);
        var authorizationSeen = new ConcurrentDictionary<string, string>();
        using var storage = new LoopbackServer(async context =>
        {
            authorizationSeen[$"other-server{context.Request.Url!.AbsolutePath}"] = context.Request.Headers["Authorization"] ?? "none";
            await LoopbackServer.AnswerAsync(context, 200, content, OciMediaTypes.OctetStream);
        });
        using var registry = new LoopbackServer(async context =>
        {
            var path = context.Request.Url!.AbsolutePath;
            var authorization = context.Request.Headers["Authorization"];
            if (path.StartsWith("/storage/", StringComparison.Ordinal))
            {
                authorizationSeen[$"same-server{path}"] = authorization ?? "none";
                await LoopbackServer.AnswerAsync(context, 200, content, OciMediaTypes.OctetStream);
                return;
            }
            if (authorization is null)
            {
                context.Response.Headers["WWW-Authenticate"] = "Basic realm=\"test\"";
                await LoopbackServer.AnswerAsync(context, 401, []);
                return;
            }
            var sameServer = path.Contains("/same/", StringComparison.Ordinal);
            context.Response.StatusCode = 307;
            context.Response.RedirectLocation = sameServer ? "/storage/blob?sig=1" : $"http://{storage.Address}/bucket/blob?sig=1";
            context.Response.Close();
        });
        using var client = Artifacts.Client(credentials: new RegistryCredentials("user", "pw", null));

        foreach (var repository in new[] { "app/same/x", "app/other/x" })
        {
            await using var stream = await client.OpenBlobAsync(registry.Address, repository, digest, content.Length, _ct);
            Assert.Equal(content, await Artifacts.ReadAllAsync(stream));
        }

        Assert.StartsWith("Basic ", authorizationSeen["same-server/storage/blob"]);
        Assert.Equal("none", authorizationSeen["other-server/bucket/blob"]);
    }

    [Fact]
    public async Task Registry_that_never_answers_times_out_on_each_attempt()
    {
        using var silent = new LoopbackServer(async context =>
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            context.Response.Abort();
        });
        using var client = new OciRegistryClient(new RegistryClientOptions
        {
            PlainHttp = true,
            Credentials = _ => null,
            MaxAttempts = 2,
            BaseDelay = TimeSpan.FromMilliseconds(5),
            Timeout = TimeSpan.FromMilliseconds(300),
        });

        var error = await Assert.ThrowsAsync<OciRegistryUnavailableException>(() => client.PingAsync(silent.Address, _ct));

        Assert.Equal(2, error.Attempts);
        Assert.Contains("no answer within 00:00:00.3", error.LastError);
    }

    [Fact]
    public async Task Redirect_of_a_manifest_read_is_not_followed()
    {
        using var redirecting = new LoopbackServer(context =>
        {
            context.Response.StatusCode = (int)HttpStatusCode.TemporaryRedirect;
            context.Response.RedirectLocation = "http://127.0.0.1:1/elsewhere";
            context.Response.Close();
            return Task.CompletedTask;
        });
        using var client = Artifacts.Client();

        var error = await Assert.ThrowsAsync<OciException>(() => client.GetManifestAsync(redirecting.Address, "app/x", "v1", _ct));

        Assert.Equal(HttpStatusCode.TemporaryRedirect, error.StatusCode);
    }
}
