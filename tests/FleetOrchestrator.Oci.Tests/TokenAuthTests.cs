namespace FleetOrchestrator.Oci.Tests;

public class TokenAuthTests(TokenAuthRegistryFixture fixture) : IClassFixture<TokenAuthRegistryFixture>
{
    private readonly CancellationToken _ct = CancellationToken.None;
    private string Address => fixture.Address;

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
        Assert.Contains(tokensForRepository, r => r.Scopes.Contains($"repository:{repository}:pull,push"));
        Assert.Contains(tokensForRepository, r => r.Scopes.Contains($"repository:{repository}:pull"));

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
}
