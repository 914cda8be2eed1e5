namespace FleetOrchestrator.Oci.Tests;

public class TokenAuthTests(TokenAuthRegistryFixture fixture) : IClassFixture<TokenAuthRegistryFixture>
{
    private readonly CancellationToken _ct = CancellationToken.None;
    private string Address => fixture.Address;

    /// <summary>The registry names the actions of a scope in no fixed order ("push,pull" or "pull,push").</summary>
    private static bool IsScope(string scope, string repository, params string[] actions) =>
        scope.StartsWith($"repository:{repository}:", StringComparison.Ordinal) &&
        scope[$"repository:{repository}:".Length..].Split(',').Order().SequenceEqual(actions.Order());

    private static OciRegistryClient Client(string user, string password) => Artifacts.Client(credentials: new RegistryCredentials(user, password, null));

    [Fact]
    public async Task Writer_pushes_and_resolves_with_tokens_cached_per_scope()
    {
        using var client = Client("writer", "writer-pw");
        var repository = Artifacts.UniqueRepository("tokens");
        var manifest = await Artifacts.PushArtifactBlobsAsync(client, Address, repository, Artifacts.RandomBytes(2000));
        var digest = await client.PutManifestAsync(Address, repository, "v1", OciMediaTypes.OciManifest, manifest, _ct);
        var reference = Artifacts.ReferenceTo(Address, repository, "v1");

        Assert.Equal(digest, (await client.ResolveAsync(reference, _ct)).Digest);
        var tokensForRepository = fixture.TokenRequests.Where(r => r.Scopes.Any(s => s.Contains(repository))).ToList();
        Assert.All(tokensForRepository, r => Assert.Equal((TokenAuthRegistryFixture.Service, "writer"), (r.Service, r.User)));
        Assert.Contains(tokensForRepository, r => r.Scopes.Any(s => IsScope(s, repository, "pull", "push")));
        Assert.Contains(tokensForRepository, r => r.Scopes.Any(s => IsScope(s, repository, "pull")));

        // Cached: more reads of the same repository ask for no new token.
        var before = fixture.TokenRequests.Count;
        Assert.Equal(digest, (await client.ResolveAsync(reference, _ct)).Digest);
        Assert.Equal(manifest, (await client.GetManifestAsync(Address, repository, "v1", _ct)).Content);
        Assert.Equal(before, fixture.TokenRequests.Count);
    }

    [Fact]
    public async Task Reader_may_pull_but_not_push()
    {
        var repository = Artifacts.UniqueRepository("tokens");
        using (var writer = Client("writer", "writer-pw"))
            await Artifacts.PushBytesAsync(writer, Address, repository, [1, 2, 3]);
        using var reader = Client("reader", "reader-pw");

        Assert.True(await reader.BlobExistsAsync(Address, repository, Digest.Sha256([1, 2, 3]), _ct));
        var error = await Assert.ThrowsAsync<OciAuthenticationException>(() => Artifacts.PushBytesAsync(reader, Address, repository, [4, 5]));

        Assert.Equal((Address, repository, $"repository:{repository}:pull,push"), (error.Registry, error.Repository, error.Scope));
        Assert.Contains("credentials refused (401)", error.Message);
    }

    [Fact]
    public async Task Wrong_password_is_refused_by_the_token_service()
    {
        using var client = Client("writer", "nope");
        var error = await Assert.ThrowsAsync<OciAuthenticationException>(() => client.ResolveAsync(Artifacts.ReferenceTo(Address, "tokens/x", "v1"), _ct));
        Assert.Contains("token service http://", error.Message);
        Assert.Contains("answered 401: UNAUTHORIZED: bad user or password", error.Message);
        Assert.Equal("repository:tokens/x:pull", error.Scope);
    }

    [Fact]
    public async Task Ping_and_access_token_field()
    {
        fixture.UseAccessTokenField = true;
        try
        {
            using var client = Client("reader", "reader-pw");
            await client.PingAsync(Address, _ct);
            await Assert.ThrowsAsync<OciNotFoundException>(() => client.ResolveAsync(Artifacts.ReferenceTo(Address, "tokens/absent", "v1"), _ct));
        }
        finally { fixture.UseAccessTokenField = false; }
    }

    [Fact]
    public async Task Identity_token_is_exchanged_with_the_refresh_token_grant()
    {
        using var client = Artifacts.Client(credentials: new RegistryCredentials(null, null, TokenAuthRegistryFixture.WriterRefreshToken));
        var repository = Artifacts.UniqueRepository("tokens");

        var digest = await Artifacts.PushBytesAsync(client, Address, repository, [7, 7, 7]);

        Assert.True(await client.BlobExistsAsync(Address, repository, digest, _ct));
        Assert.Contains(fixture.TokenRequests, r => r.User == "writer" && r.Scopes.Any(s => IsScope(s, repository, "pull", "push")));
    }

    [Fact]
    public async Task Plain_http_token_realm_gets_no_credentials_when_the_registry_is_reached_over_https()
    {
        // The registry is reached as https (rewritten to its plain port below, as a TLS-terminating proxy would);
        // its realm is plain http, so credentials must not be sent there.
        using var handler = new HttpsToHttpHandler(Address);
        using var client = new OciRegistryClient(new RegistryClientOptions
        {
            Credentials = _ => new RegistryCredentials("writer", "writer-pw", null),
            MaxAttempts = 1,
        }, handler);
        var before = fixture.TokenRequests.Count;

        var error = await Assert.ThrowsAsync<OciAuthenticationException>(() => client.PingAsync(Address, _ct));

        Assert.Contains("is plain http; credentials are only sent over TLS", error.Message);
        Assert.Equal(before, fixture.TokenRequests.Count);
    }

    /// <summary>Sends https://address requests to http://address.</summary>
    private sealed class HttpsToHttpHandler(string address) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri is { Scheme: "https" } uri && uri.Authority == address)
                request.RequestUri = new UriBuilder(uri) { Scheme = "http" }.Uri;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
