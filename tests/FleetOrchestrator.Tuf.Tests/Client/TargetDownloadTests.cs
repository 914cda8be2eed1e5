using System.Security.Cryptography;
using FleetOrchestrator.Tuf.Client;
using FleetOrchestrator.Tuf.Tests.Simulator;

namespace FleetOrchestrator.Tuf.Tests.Client;

/// <summary>Spec §5.7: target files fetched by hash-prefixed name, bounded by their exact length, written only once every hash verifies.</summary>
public sealed class TargetDownloadTests : ClientTestBase
{
    private static readonly byte[] Content = "{\"apps\":{\"web\":{\"uri\":\"registry/web@sha256:00\"}}}"u8.ToArray();

    private async Task<(Updater Updater, TargetInfo Info)> PublishAndFindAsync(string name, byte[] content)
    {
        Sim.AddTarget(name, content);
        Sim.Release();
        var updater = NewUpdater();
        await updater.RefreshAsync();
        var info = await updater.GetTargetInfoAsync(name);
        Sim.ClearRequests();
        return (updater, info!);
    }

    private static string TargetUrl(string name, byte[] content) =>
        $"{RepositorySimulator.TargetsPrefix}{Convert.ToHexStringLower(SHA256.HashData(content))}.{name}";

    [Fact]
    public async Task Verified_target_is_written_under_its_name()
    {
        var (updater, info) = await PublishAndFindAsync("app-1", Content);

        var path = await updater.DownloadTargetAsync(info);

        Assert.Equal(Path.Combine(TargetDir, "app-1"), path);
        Assert.Equal(Content, await File.ReadAllBytesAsync(path));
        Assert.Equal([TargetUrl("app-1", Content)], Sim.Requests);
        Assert.Equal(["app-1"], Directory.GetFiles(TargetDir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Cached_target_is_reused_only_while_its_hashes_match()
    {
        var (updater, info) = await PublishAndFindAsync("app-1", Content);
        Assert.Null(await updater.FindCachedTargetAsync(info));
        var path = await updater.DownloadTargetAsync(info);

        Assert.Equal(path, await updater.FindCachedTargetAsync(info));

        var tampered = Content.ToArray();
        tampered[^2] ^= 1;
        await File.WriteAllBytesAsync(path, tampered);
        Assert.Null(await updater.FindCachedTargetAsync(info));
    }

    [Fact]
    public async Task Target_with_other_content_of_the_same_length_is_not_installed()
    {
        var (updater, info) = await PublishAndFindAsync("app-1", Content);
        var evil = Content.ToArray();
        evil[10] = (byte)'X';
        Sim.Serve(TargetUrl("app-1", Content), evil);

        var error = await Assert.ThrowsAsync<TufLengthOrHashException>(() => updater.DownloadTargetAsync(info));

        Assert.Equal("hashes", error.Check);
        Assert.Equal("app-1", error.Role);
        Assert.False(Directory.Exists(TargetDir) && Directory.EnumerateFileSystemEntries(TargetDir).Any());
    }

    [Fact]
    public async Task Target_longer_than_its_length_is_cut_off()
    {
        var (updater, info) = await PublishAndFindAsync("app-1", Content);
        Sim.Serve(TargetUrl("app-1", Content), [.. Content, .. " "u8]);

        var error = await Assert.ThrowsAsync<TufDownloadException>(() => updater.DownloadTargetAsync(info));

        Assert.Contains($"limit of {Content.Length} bytes", error.Message);
        Assert.False(Directory.Exists(TargetDir) && Directory.EnumerateFileSystemEntries(TargetDir).Any());
    }

    [Fact]
    public async Task Target_shorter_than_its_length_is_rejected()
    {
        var (updater, info) = await PublishAndFindAsync("app-1", Content);
        Sim.Serve(TargetUrl("app-1", Content), Content[..^1]);

        var error = await Assert.ThrowsAsync<TufLengthOrHashException>(() => updater.DownloadTargetAsync(info));

        Assert.Equal("length", error.Check);
    }

    [Fact]
    public async Task Endless_target_is_cut_off_at_its_length()
    {
        var (updater, info) = await PublishAndFindAsync("app-1", Content);
        Sim.Override(TargetUrl("app-1", Content), new ServedResponse.Endless());

        var error = await Assert.ThrowsAsync<TufDownloadException>(() => updater.DownloadTargetAsync(info));

        Assert.Equal("size-limit", error.Check);
    }

    [Fact]
    public async Task A_bad_download_leaves_an_earlier_verified_copy_in_place()
    {
        var (updater, info) = await PublishAndFindAsync("app-1", Content);
        var path = await updater.DownloadTargetAsync(info);
        Sim.Serve(TargetUrl("app-1", Content), new byte[Content.Length]);

        await Assert.ThrowsAsync<TufLengthOrHashException>(() => updater.DownloadTargetAsync(info));

        Assert.Equal(Content, await File.ReadAllBytesAsync(path));
        Assert.Single(Directory.GetFiles(TargetDir));
    }

    [Fact]
    public async Task Target_path_with_folders_and_special_characters_maps_to_one_quoted_file()
    {
        var (updater, info) = await PublishAndFindAsync("apps/my app#1?.json", Content);

        var path = await updater.DownloadTargetAsync(info);

        var hash = Convert.ToHexStringLower(SHA256.HashData(Content));
        Assert.Equal([$"{RepositorySimulator.TargetsPrefix}apps/{hash}.my%20app%231%3F.json"], Sim.Requests);
        Assert.Equal(Path.Combine(TargetDir, "apps%2Fmy%20app%231%3F.json"), path);
    }

    [Fact]
    public async Task Unknown_target_is_not_found()
    {
        var (updater, _) = await PublishAndFindAsync("app-1", Content);

        Assert.Null(await updater.GetTargetInfoAsync("app-2"));
        Assert.Empty(Sim.Requests);
    }

    [Theory]
    [InlineData("..", "%2E%2E")]
    [InlineData(".", "%2E")]
    [InlineData("a/../b", "a%2F..%2Fb")]
    [InlineData("café", "caf%C3%A9")]
    public void Target_file_names_never_leave_the_target_folder(string target, string fileName) =>
        Assert.Equal(fileName, Updater.TargetFileName(target));
}
