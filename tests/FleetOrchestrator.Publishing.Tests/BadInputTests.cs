using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Publishing.Tests;

/// <summary>Every bad input: a precise error, and nothing recorded (no target, nothing pushed for the factory).</summary>
public class BadInputTests(PublishFixture fixture) : IClassFixture<PublishFixture>
{
    private const string GoodService = "services:\n  web:\n    image: offline/busybox:static\n";

    private static async Task<ContainersGit> RepoAsync(params (string Path, string Content)[] files)
    {
        var repo = await ContainersGit.CreateAsync();
        foreach (var (path, content) in files) repo.Write(path, content);
        await repo.CommitAsync("apps");
        return repo;
    }

    /// <summary>Publishes, expects failure, checks the message and that the factory has nothing in the registry.</summary>
    private async Task<string> FailsAsync(ContainersGit repo, params string[] expected)
    {
        var factory = "bad" + Guid.NewGuid().ToString("N")[..8];
        var error = await Assert.ThrowsAsync<PublishException>(() => new PublishPipeline().RunAsync(fixture.Request(repo, factory)));
        foreach (var text in expected) Assert.Contains(text, error.Message);
        Assert.Empty(await RepositoriesAsync(fixture.Address, factory));
        return error.Message;
    }

    private static async Task<IReadOnlyList<string>> RepositoriesAsync(string registry, string factory)
    {
        using var http = new HttpClient();
        var catalog = await http.GetFromJsonAsync<JsonObject>($"http://{registry}/v2/_catalog?n=1000");
        return catalog!["repositories"]!.AsArray().Select(r => r!.GetValue<string>()).Where(r => r.StartsWith(factory + "/")).ToList();
    }

    [Fact]
    public async Task Invalid_yaml()
    {
        using var repo = await RepoAsync(("web/docker-compose.yml", "services:\n  web:\n    image: [unclosed\n"));
        await FailsAsync(repo, "web/docker-compose.yml", "is not valid YAML", "line");
    }

    [Fact]
    public async Task Alias_bomb()
    {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
        for (var i = 1; i < 9; i++) yaml += $"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n";
        using var repo = await RepoAsync(("web/docker-compose.yml", yaml + GoodService));
        await FailsAsync(repo, "alias bomb");
    }

    [Fact]
    public async Task Compose_file_over_one_mebibyte()
    {
        using var repo = await RepoAsync(("web/docker-compose.yml", GoodService + "# " + new string('x', 1024 * 1024) + "\n"));
        await FailsAsync(repo, "the limit is 1048576 bytes");
    }

    [Fact]
    public async Task Service_without_image()
    {
        using var repo = await RepoAsync(("web/docker-compose.yml", "services:\n  web:\n    build: .\n"));
        await FailsAsync(repo, "app 'web'", "service 'web' has no image");
    }

    [Fact]
    public async Task External_image_without_tag_or_digest()
    {
        using var repo = await RepoAsync(("web/docker-compose.yml", "services:\n  web:\n    image: offline/busybox\n"));
        await FailsAsync(repo, "service 'web' image 'offline/busybox'", "pin to a :tag or @sha256");
    }

    [Fact]
    public async Task Tag_the_registry_does_not_have()
    {
        using var repo = await RepoAsync(("web/docker-compose.yml", "services:\n  front:\n    image: offline/busybox:no-such-tag\n"));
        await FailsAsync(repo, "web/front", "docker.io/offline/busybox:no-such-tag");
    }

    [Fact]
    public async Task Symlink_pointing_outside_the_app_folder()
    {
        using var repo = await ContainersGit.CreateAsync();
        repo.Write("web/docker-compose.yml", GoodService);
        File.CreateSymbolicLink(Path.Combine(repo.Path, "web", "secrets"), "../../../etc/passwd");
        await repo.CommitAsync("link");
        await FailsAsync(repo, "secrets");
    }

    [Fact]
    public async Task Ignore_rule_that_discards_the_compose_file()
    {
        using var repo = await RepoAsync(("web/docker-compose.yml", GoodService), ("web/.composeappignores", "# everything yaml\n*.yml\n"));
        await FailsAsync(repo, "docker-compose.yml");
    }

    [Fact]
    public async Task A_bad_app_stops_the_publish_before_any_good_app_is_pushed()
    {
        using var repo = await RepoAsync(("good/docker-compose.yml", GoodService), ("zbad/docker-compose.yml", "services:\n  x:\n    image: nginx\n"));
        await FailsAsync(repo, "app 'zbad'");
    }

    /// <summary>A dotted folder is a valid image name but no compose project name: it would publish and then fail on every device.</summary>
    [Fact]
    public async Task An_app_folder_whose_name_is_no_app_name_stops_the_publish_before_anything_is_built_or_pushed()
    {
        using var repo = await RepoAsync(("good/docker-compose.yml", GoodService), ("web.v2/docker-compose.yml", GoodService),
            ("tools/Dockerfile", "FROM offline/busybox:static\n"));
        await FailsAsync(repo, $"invalid app name \"web.v2\": use {Protocol.Names.App.Description}");
    }

    [Fact]
    public async Task Registry_that_is_down()
    {
        using var repo = await RepoAsync(("web/docker-compose.yml", GoodService));
        var closed = $"127.0.0.1:{RegistryProcess.FreePort()}";
        var request = fixture.Request(repo, "down") with { Registry = closed, Mirrors = new Dictionary<string, string> { ["docker.io"] = closed } };
        var error = await Assert.ThrowsAsync<PublishException>(() => new PublishPipeline().RunAsync(request));
        Assert.Contains("web/web", error.Message);
        Assert.Contains(closed, error.Message);
    }

    [Fact]
    public async Task Registry_serving_bytes_that_do_not_match_the_digest()
    {
        await using var registry = await RegistryProcess.StartAsync();
        var image = await DockerEngine.BusyboxImageAsync();
        await DockerEngine.PushAsync(image, registry.Address, "offline/busybox", "static");
        // Corrupt the stored manifest: the registry still claims the original digest.
        var link = Directory.EnumerateFiles(Path.Combine(registry.RootDirectory, "data"), "link", SearchOption.AllDirectories)
            .Single(f => f.Contains("/offline/busybox/_manifests/tags/static/current/"));
        var digest = (await File.ReadAllTextAsync(link)).Trim()["sha256:".Length..];
        var blob = Path.Combine(registry.RootDirectory, "data", "docker", "registry", "v2", "blobs", "sha256", digest[..2], digest, "data");
        // Still a valid manifest (the registry parses it before serving), but not the bytes of that digest.
        var text = await File.ReadAllTextAsync(blob);
        var size = text.IndexOf("\"size\":", StringComparison.Ordinal) + "\"size\":".Length;
        while (!char.IsAsciiDigit(text[size])) size++;
        await File.WriteAllTextAsync(blob, text[..size] + (text[size] == '9' ? '8' : (char)(text[size] + 1)) + text[(size + 1)..]);

        using var repo = await RepoAsync(("web/docker-compose.yml", GoodService));
        var request = fixture.Request(repo, "corrupt") with { Registry = registry.Address, Mirrors = new Dictionary<string, string> { ["docker.io"] = registry.Address } };
        var error = await Assert.ThrowsAsync<PublishException>(() => new PublishPipeline().RunAsync(request));
        Assert.Contains("web/web", error.Message);
        Assert.True(error.Message.Contains("sha256:" + digest), error.Message);
        Assert.Empty(await RepositoriesAsync(registry.Address, "corrupt"));
    }
}
