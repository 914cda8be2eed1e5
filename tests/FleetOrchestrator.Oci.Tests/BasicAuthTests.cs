using System.Text;
using FleetOrchestrator.TestSupport;
using Org.BouncyCastle.Crypto.Generators;

namespace FleetOrchestrator.Oci.Tests;

/// <summary>A real registry with htpasswd (bcrypt) basic auth.</summary>
public sealed class HtpasswdRegistryFixture : IAsyncLifetime
{
    public const string User = "factory-ci";
    public const string Password = "correct horse: battery";
    public RegistryProcess Registry { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var salt = new byte[16];
        Random.Shared.NextBytes(salt);
        // Cost 4, the minimum: the test checks the protocol, not the hash strength.
        var hash = OpenBsdBCrypt.Generate("2y", Password.ToCharArray(), salt, 4);
        Registry = await RegistryProcess.StartAsync($"{User}:{hash}\n");
    }

    public async Task DisposeAsync() => await Registry.DisposeAsync();
}

public class BasicAuthTests(HtpasswdRegistryFixture fixture) : IClassFixture<HtpasswdRegistryFixture>
{
    private readonly CancellationToken _ct = CancellationToken.None;
    private string Address => fixture.Registry.Address;

    [Fact]
    public async Task Push_and_pull_with_basic_credentials()
    {
        using var client = Artifacts.Client(credentials: new RegistryCredentials(HtpasswdRegistryFixture.User, HtpasswdRegistryFixture.Password, null));
        var repository = Artifacts.UniqueRepository("private");
        await client.PingAsync(Address, _ct);
        var manifest = await Artifacts.PushArtifactBlobsAsync(client, Address, repository, Artifacts.RandomBytes(1000));
        var digest = await client.PutManifestAsync(Address, repository, "v1", OciMediaTypes.OciManifest, manifest, _ct);

        var resolved = await client.ResolveAsync(ImageReference.Parse($"{Address}/{repository}:v1"), _ct);

        Assert.Equal(digest, resolved.Digest);
    }

    [Fact]
    public async Task Anonymous_access_is_refused_naming_the_registry_and_repository()
    {
        using var client = Artifacts.Client();
        var error = await Assert.ThrowsAsync<OciAuthenticationException>(() =>
            client.ResolveAsync(ImageReference.Parse($"{Address}/private/app:v1"), _ct));
        Assert.Equal((Address, "private/app", "repository:private/app:pull"), (error.Registry, error.Repository, error.Scope));
        Assert.Contains("no username/password is configured", error.Message);
    }

    [Fact]
    public async Task Wrong_password_is_refused_after_one_authenticated_retry()
    {
        using var proxy = new LoopbackProxy(Address);
        using var client = Artifacts.Client(credentials: new RegistryCredentials(HtpasswdRegistryFixture.User, "wrong", null));

        var error = await Assert.ThrowsAsync<OciAuthenticationException>(() => client.PingAsync(proxy.Address, _ct));

        Assert.Contains("credentials refused (401)", error.Message);
        Assert.Contains("UNAUTHORIZED", error.Message);
        Assert.Equal(2, proxy.Count("GET", "/v2/"));
    }

    [Fact]
    public async Task Credentials_from_a_docker_config_file()
    {
        using var folder = new TempDirectory();
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{HtpasswdRegistryFixture.User}:{HtpasswdRegistryFixture.Password}"));
        var config = folder.Write("config.json", $$"""{ "auths": { "http://{{Address}}": { "auth": "{{auth}}" } } }""");
        using var client = new OciRegistryClient(new RegistryClientOptions
        {
            PlainHttp = true,
            Credentials = DockerConfigCredentials.Load(config),
        });
        var repository = Artifacts.UniqueRepository("private");
        var content = Artifacts.RandomBytes(10);

        var digest = await Artifacts.PushBytesAsync(client, Address, repository, content);

        await using var stream = await client.OpenBlobAsync(Address, repository, digest, content.Length, _ct);
        Assert.Equal(content, await Artifacts.ReadAllAsync(stream));
    }
}
