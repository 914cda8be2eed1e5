using FleetOrchestrator.ComposeApps.Bundles;
using FleetOrchestrator.Edge.Fetch;
using FleetOrchestrator.Edge.Install;
using FleetOrchestrator.Edge.Tests.Fetch;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Edge.Tests.Install;

[Collection(PublishedAppsCollection.Name)]
public class AppInstallerTests(PublishedAppsFixture published) : IDisposable
{
    private readonly TempDirectory _store = new();
    private readonly TempDirectory _root = new();

    public void Dispose()
    {
        _store.Dispose();
        _root.Dispose();
    }

    [Fact]
    public async Task Installs_a_new_app_pending_until_confirmed()
    {
        var installer = new AppInstaller(_root.Path);

        var directory = await installer.InstallAsync("web", await published.FetchAsync("httpd", _store.Path), default);

        Assert.Equal(_root.Combine("web"), directory);
        Assert.Contains("offline/busybox@sha256:", await File.ReadAllTextAsync(Path.Combine(directory, "docker-compose.yml")));
        Assert.True(File.Exists(Path.Combine(directory, "www", "index.html")));
        Assert.True(installer.IsPending("web"));
        installer.Confirm("web");
        Assert.False(installer.IsPending("web"));
        Assert.Equal(["web"], Entries());
    }

    [Fact]
    public async Task Rolling_back_an_update_restores_the_previous_version()
    {
        var installer = new AppInstaller(_root.Path);
        await installer.InstallAsync("web", await published.FetchAsync("httpd", _store.Path), default);
        installer.Confirm("web");
        var before = await Snapshot("web");

        await installer.InstallAsync("web", await published.FetchAsync("simple-app", _store.Path), default);
        Assert.NotEqual(before, await Snapshot("web"));
        installer.RollBack("web");

        Assert.Equal(before, await Snapshot("web"));
        Assert.False(installer.IsPending("web"));
        Assert.Equal(["web"], Entries());
    }

    [Fact]
    public async Task Confirming_an_update_drops_the_previous_version()
    {
        var installer = new AppInstaller(_root.Path);
        await installer.InstallAsync("web", await published.FetchAsync("httpd", _store.Path), default);
        installer.Confirm("web");

        await installer.InstallAsync("web", await published.FetchAsync("simple-app", _store.Path), default);
        var updated = await Snapshot("web");
        installer.Confirm("web");
        installer.RollBack("web"); // nothing pending: no effect

        Assert.Equal(updated, await Snapshot("web"));
        Assert.Equal(["web"], Entries());
    }

    [Fact]
    public async Task A_second_unconfirmed_install_keeps_the_last_confirmed_version_as_rollback_point()
    {
        var installer = new AppInstaller(_root.Path);
        await installer.InstallAsync("web", await published.FetchAsync("httpd", _store.Path), default);
        installer.Confirm("web");
        var confirmed = await Snapshot("web");

        await installer.InstallAsync("web", await published.FetchAsync("simple-app", _store.Path), default);
        await installer.InstallAsync("web", await published.FetchAsync("hello-world-app", _store.Path), default);
        installer.RollBack("web");

        Assert.Equal(confirmed, await Snapshot("web"));
    }

    [Fact]
    public async Task Rolling_back_a_new_app_removes_it()
    {
        var installer = new AppInstaller(_root.Path);
        await installer.InstallAsync("web", await published.FetchAsync("httpd", _store.Path), default);

        installer.RollBack("web");

        Assert.False(installer.IsInstalled("web"));
        Assert.Empty(Entries());
    }

    [Fact]
    public async Task Rollback_after_a_crash_between_the_two_renames_restores_the_previous_version()
    {
        var installer = new AppInstaller(_root.Path);
        await installer.InstallAsync("web", await published.FetchAsync("httpd", _store.Path), default);
        installer.Confirm("web");
        var before = await Snapshot("web");
        await installer.InstallAsync("web", await published.FetchAsync("simple-app", _store.Path), default);
        // The state a power cut leaves after the old version was moved aside and before the new one moved in.
        Directory.Delete(_root.Combine("web"), recursive: true);

        new AppInstaller(_root.Path).RollBack("web");

        Assert.Equal(before, await Snapshot("web"));
    }

    [Fact]
    public async Task A_bundle_that_does_not_match_its_index_leaves_the_installed_app_untouched()
    {
        var installer = new AppInstaller(_root.Path);
        await installer.InstallAsync("web", await published.FetchAsync("httpd", _store.Path), default);
        installer.Confirm("web");
        var before = await Snapshot("web");
        var httpd = await published.FetchAsync("httpd", _store.Path);
        var other = await published.FetchAsync("simple-app", _store.Path);

        await Assert.ThrowsAsync<BundleIntegrityException>(() => installer.InstallAsync("web", httpd with { IndexPath = other.IndexPath }, default));

        Assert.Equal(before, await Snapshot("web"));
        Assert.False(installer.IsPending("web"));
        Assert.Equal(["web"], Entries());
    }

    [Fact]
    public async Task Remove_deletes_the_app_and_any_kept_version()
    {
        var installer = new AppInstaller(_root.Path);
        await installer.InstallAsync("web", await published.FetchAsync("httpd", _store.Path), default);
        installer.Confirm("web");
        await installer.InstallAsync("web", await published.FetchAsync("simple-app", _store.Path), default);

        installer.Remove("web");

        Assert.Empty(Entries());
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("Web")]
    [InlineData("my.app")]
    [InlineData("-web")]
    public void Refuses_names_that_are_not_safe_folder_and_project_names(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => new AppInstaller(_root.Path).AppDirectory(name));
        Assert.Contains("app name", error.Message);
    }

    private string[] Entries() => Directory.EnumerateFileSystemEntries(_root.Path).Select(Path.GetFileName).Order().ToArray()!;

    /// <summary>Every file of an installed app with its content, to compare versions.</summary>
    private async Task<string> Snapshot(string app)
    {
        var directory = _root.Combine(app);
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
        var lines = new List<string>();
        foreach (var file in files) lines.Add($"{Path.GetRelativePath(directory, file)}={await File.ReadAllTextAsync(file)}");
        return string.Join('\n', lines);
    }
}
