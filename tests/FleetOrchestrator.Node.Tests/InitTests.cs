using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Crypto;
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
    public async Task Init_with_offline_keys_writes_them_only_to_their_files()
    {
        using var data = new TempDirectory();
        using var offline = new TempDirectory();
        var rootFile = offline.Combine("root.pem");
        var targetsFile = offline.Combine("targets.pem");

        await Init.RunAsync(["--factory", "acme", "--data", data.Path, "--registry", "127.0.0.1:5000", "--offline-root", rootFile, "--offline-targets", targetsFile]);

        var files = new FactoryFiles(data.Path);
        var root = SignedMetadata<RootMetadata>.Parse(await files.LoadRootAsync()).Signed;
        using var rootKey = await KeyPair.LoadAsync(rootFile);
        using var targetsKey = await KeyPair.LoadAsync(targetsFile);
        Assert.Equal([rootKey.KeyId], root.RoleKeysOf(Role.Root).KeyIds);
        Assert.Equal([targetsKey.KeyId], root.RoleKeysOf(Role.Targets).KeyIds);
        Assert.All([rootFile, targetsFile], f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        Assert.Equal([files.KeyFile(Role.Snapshot), files.KeyFile(Role.Timestamp)], Directory.GetFiles(files.KeysDirectory).Order());
    }

    [Fact]
    public async Task Init_refuses_an_offline_key_file_that_exists_or_lies_in_the_data_directory()
    {
        using var data = new TempDirectory();
        using var offline = new TempDirectory();
        var existing = offline.Write("root.pem", "keep me");

        var exists = await Assert.ThrowsAsync<FactoryFilesException>(() => Init.RunAsync(["--factory", "acme", "--data", data.Path, "--registry", "127.0.0.1:5000", "--offline-root", existing]));
        var inside = await Assert.ThrowsAsync<FactoryFilesException>(() => Init.RunAsync(["--factory", "acme", "--data", data.Path, "--registry", "127.0.0.1:5000", "--offline-root", data.Combine("root.pem")]));

        Assert.Equal($"offline root key file {existing} already exists; name a new file", exists.Message);
        Assert.Equal($"offline root key file {data.Combine("root.pem")} is inside the data directory {data.Path}; keep it elsewhere", inside.Message);
        Assert.Equal("keep me", await File.ReadAllTextAsync(existing));
        Assert.False(File.Exists(new FactoryFiles(data.Path).SettingsFile));
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
