using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Node.Tests;

public class InitTests
{
    [Fact]
    public async Task Init_creates_keys_root_ca_token_and_settings()
    {
        using var data = new TempDirectory();

        var token = await Init.RunAsync(["--factory", "acme", "--data", data.Path, "--registry", "127.0.0.1:5000", "--plain-http"]);

        var files = new FactoryFiles(data.Path);
        Assert.Equal(token, await files.LoadRegistrationTokenAsync());
        Assert.True(token.Length >= 43);
        Assert.Equal(new FactorySettings("acme", "127.0.0.1:5000", true), await files.LoadSettingsAsync());
        foreach (var secret in new[] { files.RegistrationTokenFile, files.CaKeyFile }.Concat(Role.TopLevel.Select(files.KeyFile)))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));

        var root = SignedMetadata<RootMetadata>.Parse(await files.LoadRootAsync());
        Assert.Equal(1, root.Signed.Version);
        ThresholdVerifier.Verify(Role.Root, root.Signed.RoleKeysOf(Role.Root), root.Signed.Keys, root);
        var keys = await files.LoadKeysAsync();
        foreach (var role in Role.TopLevel)
            Assert.Contains(keys, k => root.Signed.RoleKeysOf(role).KeyIds.Contains(k.KeyId));

        using var ca = await files.LoadCaAsync();
        Assert.True(ca.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal("1.2.840.10045.2.1", ca.Certificate.PublicKey.Oid.Value);
        Assert.NotNull(ca.Certificate.GetECDsaPrivateKey());
    }

    [Fact]
    public async Task Init_refuses_a_data_directory_that_holds_a_factory()
    {
        using var data = new TempDirectory();
        await Init.RunAsync(["--factory", "acme", "--data", data.Path, "--registry", "127.0.0.1:5000"]);
        var before = await File.ReadAllTextAsync(Path.Combine(data.Path, "registration-token"));

        var e = await Assert.ThrowsAsync<FactoryFilesException>(() => Init.RunAsync(["--factory", "other", "--data", data.Path, "--registry", "127.0.0.1:5000"]));

        Assert.Contains("already holds a factory", e.Message);
        Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(data.Path, "registration-token")));
    }

    [Theory]
    [InlineData(new[] { "--factory", "Acme!", "--registry", "127.0.0.1:5000" }, "invalid factory name \"Acme!\"")]
    [InlineData(new[] { "--factory", "acme", "--registry", "http://127.0.0.1:5000" }, "invalid registry \"http://127.0.0.1:5000\"")]
    [InlineData(new[] { "--factory", "acme" }, "missing --registry")]
    [InlineData(new[] { "--factory", "acme", "--registry", "r:1", "--color" }, "unknown argument \"--color\"")]
    public async Task Init_explains_bad_arguments_and_writes_nothing(string[] args, string expected)
    {
        using var data = new TempDirectory();
        var e = await Assert.ThrowsAnyAsync<Exception>(() => Init.RunAsync([.. args, "--data", data.Path]));
        Assert.Contains(expected, e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(data.Path));
    }
}
