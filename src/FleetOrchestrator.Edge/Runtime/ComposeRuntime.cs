using Docker.DotNet;
using FleetOrchestrator.Edge.Compose;

namespace FleetOrchestrator.Edge.Runtime;

/// <summary>Apps as docker compose projects on the local Docker engine (see <see cref="ComposeProject"/>).</summary>
public sealed class ComposeRuntime(ComposeCommand compose, IDockerClient docker, ComposeOptions options) : IAppRuntime
{
    public string Description => compose.ToString();

    public async Task<string?> EngineVersionAsync(CancellationToken ct)
    {
        try { return (await docker.System.GetVersionAsync(ct)).Version; }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or TimeoutException) { return null; }
    }

    public async Task StartAsync(string app, string directory, bool recreate, CancellationToken ct)
    {
        var project = Project(app, directory);
        await project.PullAsync(ct);
        await project.UpAsync(ct, forceRecreate: recreate);
    }

    public Task StopAsync(string app, string directory, CancellationToken ct) => Project(app, directory).DownAsync(ct);

    public Task<AppStatus> StatusAsync(string app, string directory, CancellationToken ct) => Project(app, directory).GetStatusAsync(ct);

    public IReadOnlyCollection<string> ImagesOf(string app, string directory) => Project(app, directory).Images().Values.ToList();

    public Task PruneAsync(IEnumerable<string> candidates, IEnumerable<string> stillUsed, CancellationToken ct) =>
        new ImagePruner(docker).PruneAsync(candidates, stillUsed, ct);

    private ComposeProject Project(string app, string directory) => new(app, directory, compose, docker, options);
}
