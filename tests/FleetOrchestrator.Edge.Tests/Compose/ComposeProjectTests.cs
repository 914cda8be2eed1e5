using System.Text;
using CliWrap;
using CliWrap.Buffered;
using Docker.DotNet;
using Docker.DotNet.Models;
using FleetOrchestrator.ComposeApps.Compose;
using FleetOrchestrator.Edge.Compose;
using FleetOrchestrator.Edge.Install;
using FleetOrchestrator.Edge.Tests.Fetch;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Edge.Tests.Compose;

/// <summary>The compose lifecycle against the real engine and docker compose; every test uses its own project name and removes its containers.</summary>
[Collection(PublishedAppsCollection.Name)]
public class ComposeProjectTests(PublishedAppsFixture published) : IAsyncLifetime
{
    private readonly TempDirectory _root = new();
    private readonly DockerClient _docker = new DockerClientConfiguration().CreateClient();
    private readonly List<ComposeProject> _started = [];
    private ComposeCommand _command = null!;

    public async Task InitializeAsync()
    {
        await DockerEngine.RequireAsync();
        _command = await ComposeCommand.DetectAsync(default);
    }

    public async Task DisposeAsync()
    {
        foreach (var project in _started)
        {
            try { await project.DownAsync(default); }
            catch (ComposeException) { /* the test already failed; do not hide why */ }
        }
        _docker.Dispose();
        _root.Dispose();
    }

    [Fact]
    public async Task Published_httpd_app_runs_answers_and_is_removed_by_down()
    {
        var app = UniqueName("httpd");
        var directory = await new AppInstaller(_root.Path).InstallAsync(app, await published.FetchAsync("httpd", _root.Combine(".store")), default);
        var project = Start(new ComposeProject(app, directory, _command, _docker, new ComposeOptions { Mirrors = published.Mirrors }));

        var composeText = await File.ReadAllTextAsync(Path.Combine(directory, ComposeFile.FileName));
        var image = Assert.Single(project.Images()).Value;
        Assert.StartsWith($"{published.Address}/offline/busybox@sha256:", image);
        // Only this name goes (the fixture's push recorded it); the image itself stays under its other names.
        if (await ExistsAsync(image)) await _docker.Images.DeleteImageAsync(image, new ImageDeleteParameters());
        await project.PullAsync(default);
        Assert.True(await ExistsAsync(image), "the pinned image was pulled from the mirror by digest");
        await project.UpAsync(default);

        var status = await WaitAsync(project, s => s.Healthy);
        Assert.True(status.Running, status.ToString());
        Assert.True(status.Healthy, status.ToString());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal("compose-apps", (await GetWithRetryAsync(http, "http://127.0.0.1:18080/")).Trim());
        // The mirror override lives beside the app folder: the app's verified files stay as they were.
        Assert.Equal(composeText, await File.ReadAllTextAsync(Path.Combine(directory, ComposeFile.FileName)));
        Assert.Empty(Directory.GetFiles(directory, ".*"));

        await project.DownAsync(default);

        Assert.Empty(await ContainersOf(app));
        var after = await project.GetStatusAsync(default);
        Assert.False(after.Running);
        Assert.Equal("no container", Assert.Single(after.Services).Detail);
    }

    [Fact]
    public async Task A_container_that_exits_non_zero_is_running_but_unhealthy_and_one_that_exits_zero_is_healthy()
    {
        var app = UniqueName("exits");
        var directory = WriteApp(app, """
            version: "3"
            services:
              done:
                image: offline/busybox:static
                command: ["sh", "-c", "exit 0"]
              broken:
                image: offline/busybox:static
                command: ["sh", "-c", "exit 3"]
            """);
        await DockerEngine.BusyboxImageAsync();
        var project = Start(new ComposeProject(app, directory, _command, _docker));
        await project.PullAsync(default); // the image is present: no pull (there is no registry to pull from)
        await project.UpAsync(default);

        var status = await WaitAsync(project, s => s.Services.All(x => x.State == "exited"));

        Assert.True(status.Running, status.ToString());
        Assert.False(status.Healthy);
        var broken = status.Services.Single(s => s.Service == "broken");
        Assert.False(broken.Healthy);
        Assert.Equal("exited with code 3", broken.Detail);
        Assert.True(status.Services.Single(s => s.Service == "done").Healthy);
    }

    [Fact]
    public async Task A_container_from_another_definition_of_the_service_does_not_count_as_running()
    {
        var app = UniqueName("changed");
        var compose = """
            version: "3"
            services:
              sleeper:
                image: offline/busybox:static
                command: ["sleep", "300"]
            """;
        var directory = WriteApp(app, compose);
        await DockerEngine.BusyboxImageAsync();
        var project = Start(new ComposeProject(app, directory, _command, _docker));
        await project.UpAsync(default);
        Assert.True((await WaitAsync(project, s => s.Healthy)).Healthy);

        // The compose file changes (as an update would) but nothing was brought up from it yet.
        WriteApp(app, compose.Replace("300", "301"));
        var status = await project.GetStatusAsync(default);

        Assert.False(status.Running);
        Assert.Contains("no container with io.compose-spec.config-hash=", Assert.Single(status.Services).Detail);

        // A crash after the app folder was deleted: down still removes the project's containers.
        Directory.Delete(directory, recursive: true);
        await project.DownAsync(default);
        Assert.Empty(await ContainersOf(app));
    }

    [Fact]
    public async Task A_container_stuck_in_created_is_not_running()
    {
        var app = UniqueName("created");
        var directory = WriteApp(app, """
            version: "3"
            services:
              idle:
                image: offline/busybox:static
                command: ["sleep", "300"]
            """);
        await DockerEngine.BusyboxImageAsync();
        var project = Start(new ComposeProject(app, directory, _command, _docker));
        await Cli.Wrap(_command.Executable)
            .WithArguments([.. _command.LeadingArguments, "-p", app, "-f", Path.Combine(directory, ComposeFile.FileName), "up", "--no-start"])
            .ExecuteBufferedAsync();

        var status = await project.GetStatusAsync(default);

        var idle = Assert.Single(status.Services);
        Assert.Equal("created", idle.State);
        Assert.False(idle.Running);
        Assert.False(status.Healthy);
        Assert.Equal("stuck in created", idle.Detail);
    }

    [Fact]
    public async Task Prune_removes_unused_images_of_old_apps_but_keeps_labelled_used_and_still_referenced_ones()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var unused = await DockerEngine.BusyboxImageAsync("prune-" + suffix);
        var stillReferenced = await DockerEngine.BusyboxImageAsync("ref-" + suffix);
        var kept = $"offline/busybox:keep-{suffix}";
        var build = _root.Write("keep/Dockerfile", $"FROM {unused}\nLABEL {ImagePruner.DefaultKeepLabel}=yes\n");
        await DockerEngine.RunAsync("build", "-q", "-t", kept, Path.GetDirectoryName(build)!);
        try
        {
            var removed = await new ImagePruner(_docker).PruneAsync([unused, kept, stillReferenced], [stillReferenced], default);

            Assert.Equal([unused], removed);
            Assert.False(await ExistsAsync(unused));
            Assert.True(await ExistsAsync(kept));
            Assert.True(await ExistsAsync(stillReferenced));
        }
        finally
        {
            foreach (var image in new[] { kept, stillReferenced, unused })
                if (await ExistsAsync(image)) await DockerEngine.RunAsync("rmi", image);
        }
    }

    [Fact]
    public void Parses_a_configured_compose_command()
    {
        Assert.Equal(ComposeCommand.DockerComposePlugin, ComposeCommand.Parse(" docker  compose "), new CommandComparer());
        Assert.Equal("/usr/bin/docker-compose", ComposeCommand.Parse("/usr/bin/docker-compose").ToString());
        Assert.Throws<ArgumentException>(() => ComposeCommand.Parse("  "));
    }

    private sealed class CommandComparer : IEqualityComparer<ComposeCommand>
    {
        public bool Equals(ComposeCommand? x, ComposeCommand? y) => x?.ToString() == y?.ToString();
        public int GetHashCode(ComposeCommand obj) => obj.ToString().GetHashCode();
    }

    private ComposeProject Start(ComposeProject project)
    {
        _started.Add(project);
        return project;
    }

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    /// <summary>An app folder with a compose file labelled the way the publisher labels it.</summary>
    private string WriteApp(string app, string compose)
    {
        var file = ComposeFile.Parse(Encoding.UTF8.GetBytes(compose), app);
        foreach (var service in file.Services) service.SetLabel(ComposeService.ConfigHashLabel, ImagePinning.ConfigHash(service));
        var path = _root.Combine(app, ComposeFile.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, file.ToBytes());
        return Path.GetDirectoryName(path)!;
    }

    private static async Task<AppStatus> WaitAsync(ComposeProject project, Func<AppStatus, bool> done)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var status = await project.GetStatusAsync(default);
            if (done(status) || DateTime.UtcNow > until) return status;
            await Task.Delay(200);
        }
    }

    private static async Task<string> GetWithRetryAsync(HttpClient http, string url)
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return await http.GetStringAsync(url); }
            catch (HttpRequestException) when (attempt < 25) { await Task.Delay(200); }
        }
    }

    private async Task<IList<ContainerListResponse>> ContainersOf(string project) =>
        await _docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{ComposeProject.ProjectLabel}={project}"] = true },
            },
        });

    private async Task<bool> ExistsAsync(string image)
    {
        try { await _docker.Images.InspectImageAsync(image); return true; }
        catch (DockerImageNotFoundException) { return false; }
    }
}
