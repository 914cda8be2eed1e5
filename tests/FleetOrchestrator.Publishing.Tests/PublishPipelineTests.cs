using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using FleetOrchestrator.ComposeApps.Artifacts;
using FleetOrchestrator.ComposeApps.Compose;
using FleetOrchestrator.Oci;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Publishing.Tests;

/// <summary>The seed's examples published for real: Docker engine builds, a real registry, read back.</summary>
public class PublishPipelineTests(PublishFixture fixture) : IClassFixture<PublishFixture>
{
    private static string NewFactory() => "f" + Guid.NewGuid().ToString("N")[..10];

    private async Task<(PublishResult Result, string Factory, ContainersGit Repo)> PublishExamplesAsync()
    {
        var factory = NewFactory();
        var repo = await ContainersGit.FromExamplesAsync(fixture.Address, factory);
        var result = await new PublishPipeline().RunAsync(fixture.Request(repo, factory));
        return (result, factory, repo);
    }

    private async Task<(AppManifest Manifest, Dictionary<string, byte[]> Files)> ReadBackAsync(string uri)
    {
        var reference = ImageReference.Parse(uri);
        using var client = fixture.Client();
        var fetched = await client.GetManifestAsync(reference.Domain, reference.Repository, reference.Digest!.Value.ToString(), default);
        var manifest = AppManifest.Parse(fetched.Content);
        var files = new Dictionary<string, byte[]>();
        await using var blob = await client.OpenBlobAsync(reference.Domain, reference.Repository, manifest.BundleDigest, manifest.BundleSize, default);
        await using var gzip = new GZipStream(blob, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) { files[entry.Name] = []; continue; }
            using var content = new MemoryStream();
            entry.DataStream?.CopyTo(content);
            files[entry.Name] = content.ToArray();
        }
        return (manifest, files);
    }

    [Fact]
    public async Task The_seed_examples_publish_as_pinned_immutable_apps()
    {
        var (result, factory, repo) = await PublishExamplesAsync();
        using var _ = repo;
        Assert.Equal(["hello-world-app", "httpd", "simple-app"], result.Apps.Select(a => a.Name));
        Assert.Equal(["hello-world", "simple-app"], result.Containers.Select(c => c.Name));
        foreach (var app in result.Apps)
            Assert.Matches($"^{fixture.Address.Replace(".", "\\.")}/{factory}/{app.Name}@sha256:[0-9a-f]{{64}}$", app.Uri);

        using var client = fixture.Client();
        // Containers: pushed under the short hash and latest, the same image.
        var shortTag = result.Revision.ShortSha;
        var built = await client.ResolveAsync(ImageReference.Parse($"{fixture.Address}/{factory}/hello-world:{shortTag}"), default);
        var latest = await client.ResolveAsync(ImageReference.Parse($"{fixture.Address}/{factory}/hello-world:latest"), default);
        Assert.Equal(built.Digest, latest.Digest);

        // httpd: the external image is pinned through the mirror, keeping its docker.io name.
        var httpd = await ReadBackAsync(result.Apps.Single(a => a.Name == "httpd").Uri);
        var httpdCompose = Encoding.UTF8.GetString(httpd.Files["docker-compose.yml"]);
        Assert.Contains($"image: docker.io/offline/busybox@{fixture.BaseImageDigest}", httpdCompose);
        Assert.Equal("compose-apps", Encoding.UTF8.GetString(httpd.Files["www/index.html"]));
        Assert.Contains(ComposeService.ConfigHashLabel, httpdCompose);

        // hello-world-app: the factory image moved from :latest to the build just made.
        var hello = await ReadBackAsync(result.Apps.Single(a => a.Name == "hello-world-app").Uri);
        var helloCompose = Encoding.UTF8.GetString(hello.Files["docker-compose.yml"]);
        Assert.Contains($"image: {fixture.Address}/{factory}/hello-world@{built.Digest}", helloCompose);
        Assert.DoesNotContain(":latest", helloCompose);
        Assert.True(hello.Files.ContainsKey("httpd.conf"));

        // simple-app: .composeappignores dropped the Dockerfile and the source.
        var simple = await ReadBackAsync(result.Apps.Single(a => a.Name == "simple-app").Uri);
        Assert.Equal(["docker-compose.yml"], simple.Files.Keys);

        // The bundle index blob lists every file with its digest.
        var reference = ImageReference.Parse(result.Apps.Single(a => a.Name == "httpd").Uri);
        await using (var indexStream = await client.OpenBlobAsync(reference.Domain, reference.Repository, httpd.Manifest.IndexDigest, httpd.Manifest.IndexSize, default))
        {
            var index = JsonNode.Parse(indexStream)!.AsObject();
            Assert.Equal(["docker-compose.yml", "www/index.html"], index.Select(p => p.Key).Order(StringComparer.Ordinal));
            Assert.Equal(Digest.Sha256(httpd.Files["www/index.html"]).ToString(), index["www/index.html"]!.GetValue<string>());
        }

        // The manifest is also tagged app-<version>; the target records every URI.
        var tagged = await client.ResolveAsync(ImageReference.Parse($"{fixture.Address}/{factory}/httpd:app-{result.Revision.CommitCount}"), default);
        Assert.Equal(reference.Digest, tagged.Digest);
        var apps = result.Target.Custom["docker_compose_apps"]!.AsObject();
        Assert.Equal(result.Apps.Select(a => a.Uri), result.Apps.Select(a => apps[a.Name]!["uri"]!.GetValue<string>()));
        Assert.Equal(result.Revision.CommitSha, result.Target.Custom["containers-sha"]!.GetValue<string>());
        Assert.Equal($"{factory}-{result.Revision.CommitCount}", result.Target.Name);
    }

    [Fact]
    public async Task Publishing_is_reproducible_whatever_the_file_times()
    {
        var factory = NewFactory();
        using var repo = await ContainersGit.FromExamplesAsync(fixture.Address, factory);
        var first = await new PublishPipeline().RunAsync(fixture.Request(repo, factory));
        foreach (var file in Directory.EnumerateFiles(repo.Path, "*", SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-3));
        repo.Write("unrelated/notes.txt", "a change elsewhere in containers.git");
        await repo.CommitAsync("unrelated change");
        var second = await new PublishPipeline().RunAsync(fixture.Request(repo, factory));

        Assert.Equal(first.Revision.CommitCount + 1, second.Revision.CommitCount);
        var httpd1 = first.Apps.Single(a => a.Name == "httpd");
        var httpd2 = second.Apps.Single(a => a.Name == "httpd");
        Assert.Equal(httpd1.Uri, httpd2.Uri);
        Assert.Equal(httpd1.BundleDigest, httpd2.BundleDigest);
    }

    [Fact]
    public async Task A_changed_app_gets_a_new_digest()
    {
        var factory = NewFactory();
        using var repo = await ContainersGit.FromExamplesAsync(fixture.Address, factory);
        var first = await new PublishPipeline().RunAsync(fixture.Request(repo, factory));
        repo.Write("httpd/www/index.html", "compose-apps v2");
        await repo.CommitAsync("httpd v2");
        var second = await new PublishPipeline().RunAsync(fixture.Request(repo, factory));
        Assert.NotEqual(first.Apps.Single(a => a.Name == "httpd").Uri, second.Apps.Single(a => a.Name == "httpd").Uri);
    }

    [Fact]
    public async Task Version_option_overrides_the_commit_count_and_the_ref_selects_an_older_commit()
    {
        var factory = NewFactory();
        using var repo = await ContainersGit.FromExamplesAsync(fixture.Address, factory);
        var firstSha = (await repo.GitAsync("rev-parse", "HEAD")).Trim();
        repo.Write("httpd/www/index.html", "newer");
        await repo.CommitAsync("newer");
        var result = await new PublishPipeline().RunAsync(fixture.Request(repo, factory, version: 41) with { Ref = firstSha });
        Assert.Equal(firstSha, result.Revision.CommitSha);
        Assert.Equal("41", result.Target.Custom["version"]!.GetValue<string>());
        var httpd = await ReadBackAsync(result.Apps.Single(a => a.Name == "httpd").Uri);
        Assert.Equal("compose-apps", Encoding.UTF8.GetString(httpd.Files["www/index.html"]));
    }

    [Fact]
    public async Task A_multi_arch_image_pins_its_index_and_the_app_runs_where_all_images_run()
    {
        var index = await fixture.PushMultiArchImagesAsync();
        var factory = NewFactory();
        using var repo = await ContainersGit.CreateAsync();
        repo.Write("web/docker-compose.yml", "services:\n  a:\n    image: offline/multi:1\n  b:\n    image: offline/busybox:static\n");
        await repo.CommitAsync("multi");
        var progress = new List<PublishProgress>();
        var result = await new PublishPipeline(new SyncProgress(progress)).RunAsync(fixture.Request(repo, factory));

        var web = await ReadBackAsync(result.Apps.Single().Uri);
        Assert.Contains($"image: docker.io/offline/multi@{index}", Encoding.UTF8.GetString(web.Files["docker-compose.yml"]));
        Assert.Contains(progress, p => p.Stage == "platforms" && p.Subject == "web" && p.Message == "linux/amd64");
    }

    [Fact]
    public async Task Images_with_no_platform_in_common_stop_the_publish()
    {
        await fixture.PushMultiArchImagesAsync();
        var factory = NewFactory();
        using var repo = await ContainersGit.CreateAsync();
        repo.Write("web/docker-compose.yml", "services:\n  a:\n    image: offline/arm64-only:1\n  b:\n    image: offline/busybox:static\n");
        await repo.CommitAsync("mismatch");
        var error = await Assert.ThrowsAsync<PublishException>(() => new PublishPipeline().RunAsync(fixture.Request(repo, factory)));
        Assert.Contains("app 'web': its images share no platform", error.Message);
        Assert.Contains("[linux/arm64]", error.Message);
        Assert.Contains("[linux/amd64]", error.Message);
    }

    private sealed class SyncProgress(List<PublishProgress> sink) : IProgress<PublishProgress>
    {
        public void Report(PublishProgress value) { lock (sink) sink.Add(value); }
    }
}
