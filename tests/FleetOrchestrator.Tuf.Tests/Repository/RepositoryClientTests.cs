using System.Net;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Client;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;
using FleetOrchestrator.Tuf.Tests.Simulator;

namespace FleetOrchestrator.Tuf.Tests.RepositoryTests;

/// <summary>The repository's written layout served over loopback HTTP and read by the spec §5 client.</summary>
public sealed class RepositoryClientTests
{
    /// <summary>Files of a written repository folder, by request path; 404 for anything else (and for paths leaving the folder).</summary>
    internal static ServedResponse Serve(string folder, string rawPath)
    {
        var relative = Uri.UnescapeDataString(rawPath.TrimStart('/'));
        var full = Path.GetFullPath(Path.Combine(folder, relative));
        return full.StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(full)
            ? new ServedResponse.Body(File.ReadAllBytes(full))
            : new ServedResponse.Status(HttpStatusCode.NotFound);
    }

    private static Updater Client(Uri baseUrl, string metadataDir, string targetDir, string view) => new(new UpdaterOptions
    {
        MetadataDir = metadataDir,
        MetadataBaseUrl = new Uri(baseUrl, $"prod/{view}/"),
        TargetBaseUrl = new Uri(baseUrl, $"prod/{view}/targets/"),
        TargetDir = targetDir,
    }, new HttpClient());

    [Fact]
    public async Task A_device_follows_root_rotations_and_moves_between_views_without_rollback_errors()
    {
        using var dir = new TempDirectory();
        var served = dir.Combine("served");
        await using var server = new LoopbackHttpServer(path => Serve(served, path));
        var (repo, _) = TufRepository.Create();
        repo.AddView("prod", TufRepository.ProductionView);
        repo.AddTarget("prod", "production", "app-1", "one"u8);
        repo.Publish("prod");
        await RepositoryLayout.WriteAsync(repo.State, served);

        var metadataDir = dir.Combine("metadata");
        var targetDir = dir.Combine("targets");
        Directory.CreateDirectory(targetDir);
        await Updater.InitializeAsync(metadataDir, repo.State.Roots[0]);
        var production = Client(server.BaseUrl, metadataDir, targetDir, "production");
        await production.RefreshAsync();
        var app1 = await production.GetTargetInfoAsync("app-1");
        Assert.Equal("one"u8.ToArray(), await File.ReadAllBytesAsync(await production.DownloadTargetAsync(app1!)));

        // A wave view, a new root key and a new timestamp key: the device (trusting root v1) moves to the wave.
        repo.AddView("prod", "wave-1");
        repo.AddTarget("prod", "wave-1", "app-2", "two"u8);
        repo.Publish("prod");
        using var newRoot = KeyPair.Generate(KeyScheme.EcdsaP256);
        using var newTimestamp = KeyPair.Generate(KeyScheme.RsaPssSha256);
        repo.AddSigner(newRoot);
        repo.AddSigner(newTimestamp);
        repo.UpdateRoot(new RoleKeyChange(Role.Root, [newRoot.PublicKey], 1));
        repo.UpdateRoot(new RoleKeyChange(Role.Timestamp, [newTimestamp.PublicKey], 1));
        await RepositoryLayout.WriteAsync(repo.State, served);

        var wave = Client(server.BaseUrl, metadataDir, targetDir, "wave-1");
        await wave.RefreshAsync();
        Assert.Equal(3, wave.TrustedRoot!.Signed.Version);
        var app2 = await wave.GetTargetInfoAsync("app-2");
        Assert.Equal("two"u8.ToArray(), await File.ReadAllBytesAsync(await wave.DownloadTargetAsync(app2!)));

        // Back to production: every view has the same versions, so nothing looks like a rollback. At equal
        // versions the client keeps what it trusts (the wave's targets); the move shows at the tag's next version.
        var back = Client(server.BaseUrl, metadataDir, targetDir, "production");
        await back.RefreshAsync();
        Assert.NotNull(await back.GetTargetInfoAsync("app-2"));
        repo.Publish("prod");
        await RepositoryLayout.WriteAsync(repo.State, served);
        var afterPublish = Client(server.BaseUrl, metadataDir, targetDir, "production");
        await afterPublish.RefreshAsync();
        Assert.Null(await afterPublish.GetTargetInfoAsync("app-2"));
        Assert.NotNull(await afterPublish.GetTargetInfoAsync("app-1"));
        Assert.Equal(repo.State.Tags["prod"].TimestampVersion, afterPublish.TrustedTimestamp!.Signed.Version);
    }
}
