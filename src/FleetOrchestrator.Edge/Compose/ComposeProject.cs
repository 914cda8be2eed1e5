using System.Text.Json;
using System.Text.Json.Nodes;
using Docker.DotNet;
using Docker.DotNet.Models;
using FleetOrchestrator.ComposeApps.Compose;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.Edge.Compose;

public sealed record ComposeOptions
{
    /// <summary>Registry domain → host:port images are pulled from instead (e.g. docker.io → the factory's mirror). See docs/edge-agent.md.</summary>
    public IReadOnlyDictionary<string, string> Mirrors { get; init; } = new Dictionary<string, string>();

    /// <summary>Longest a compose command may run (a pull of large images takes long).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(15);
}

/// <summary>
/// One installed app as a compose project named after it: pull, up, down, and the REFERENCE running and
/// healthy checks read through the engine API. Pinned images whose registry has a mirror are pulled from
/// the mirror by the same digest, through a generated override file kept beside the app folder (the app's
/// own files stay exactly as verified).
/// </summary>
public sealed class ComposeProject
{
    public const string ProjectLabel = "com.docker.compose.project";
    public const string ServiceLabel = "com.docker.compose.service";

    private readonly ComposeCommand _command;
    private readonly IDockerClient _docker;
    private readonly ComposeOptions _options;
    private readonly string _directory;
    private readonly string _mirrorOverride;

    /// <param name="project">The compose project name: the app name (it must follow Protocol.Names.App).</param>
    /// <param name="directory">The app folder holding docker-compose.yml.</param>
    public ComposeProject(string project, string directory, ComposeCommand command, IDockerClient docker, ComposeOptions? options = null)
    {
        Project = project;
        _directory = Path.GetFullPath(directory).TrimEnd('/');
        _command = command;
        _docker = docker;
        _options = options ?? new ComposeOptions();
        _mirrorOverride = Path.Combine(Path.GetDirectoryName(_directory)!, $".{Path.GetFileName(_directory)}.mirrors.json");
    }

    public string Project { get; }

    private string ComposeFilePath => Path.Combine(_directory, ComposeFile.FileName);

    /// <summary>Service → the image the engine runs: the pinned one, or its mirror copy (same digest).</summary>
    public IReadOnlyDictionary<string, string> Images() =>
        ComposeFile.Load(ComposeFilePath).Services.ToDictionary(s => s.Name, s => EffectiveImage(s), StringComparer.Ordinal);

    /// <summary>Pulls the images of services that are not present locally; does nothing when all are.</summary>
    public async Task PullAsync(CancellationToken ct)
    {
        var missing = new List<string>();
        foreach (var (service, image) in Images())
            if (!await ImageExistsAsync(image, ct)) missing.Add(service);
        if (missing.Count > 0) await RunAsync("pull", ["pull", .. missing], ct);
    }

    /// <summary>
    /// <c>up --remove-orphans -d</c>: creates or recreates what changed and starts it. <paramref name="forceRecreate"/>
    /// recreates every container: needed after the app folder was replaced, since bind mounts of an unchanged service
    /// definition would otherwise still point at the old (moved away) files.
    /// </summary>
    public Task UpAsync(CancellationToken ct, bool forceRecreate = false) =>
        RunAsync("up", forceRecreate ? ["up", "--remove-orphans", "--force-recreate", "-d"] : ["up", "--remove-orphans", "-d"], ct);

    /// <summary>
    /// <c>down --remove-orphans</c>: stops and removes the containers and networks (volumes stay). When the app
    /// folder is already gone (a crash after its deletion), the project's containers and networks are removed
    /// through the engine API by their project label instead.
    /// </summary>
    public async Task DownAsync(CancellationToken ct)
    {
        if (File.Exists(ComposeFilePath)) await RunAsync("down", ["down", "--remove-orphans"], ct);
        else await RemoveByLabelAsync(ct);
        File.Delete(_mirrorOverride);
    }

    private async Task RemoveByLabelAsync(CancellationToken ct)
    {
        var filter = ProjectFilter();
        foreach (var container in await _docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }, ct))
            await _docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, ct);
        foreach (var network in await _docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter }, ct))
            await _docker.Networks.DeleteNetworkAsync(network.ID, ct);
    }

    /// <summary>
    /// The REFERENCE checks: per service of the compose file, a container labelled with this project, the
    /// service and the config-hash of the service's definition, not stuck in <c>created</c>; healthy when its
    /// healthcheck says healthy, or (without one) it runs or exited 0.
    /// </summary>
    public async Task<AppStatus> GetStatusAsync(CancellationToken ct)
    {
        var compose = ComposeFile.Load(ComposeFilePath);
        var containers = await _docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = ProjectFilter() }, ct);
        var services = new List<ServiceStatus>();
        foreach (var service in compose.Services)
        {
            // The label the publisher wrote is what containers carry; a file not published by us has none,
            // and then the hash the publisher would have written stands in.
            var expectedHash = service.LabelValue(ComposeService.ConfigHashLabel) ?? ImagePinning.ConfigHash(service);
            var ofService = containers.Where(c => Label(c.Labels, ServiceLabel) == service.Name).ToList();
            var container = ofService.FirstOrDefault(c => Label(c.Labels, ComposeService.ConfigHashLabel) == expectedHash);
            if (container is null)
            {
                var seen = ofService.Select(c => Label(c.Labels, ComposeService.ConfigHashLabel) ?? "none").ToList();
                services.Add(new ServiceStatus(service.Name, null, null, false, false, seen.Count == 0
                    ? "no container"
                    : $"no container with {ComposeService.ConfigHashLabel}={expectedHash}; found {string.Join(", ", seen)}"));
                continue;
            }
            services.Add(Assess(service.Name, await _docker.Containers.InspectContainerAsync(container.ID, ct)));
        }
        return new AppStatus(Project, services);
    }

    /// <summary>Engine API filter for everything compose created for this project.</summary>
    private Dictionary<string, IDictionary<string, bool>> ProjectFilter() => new()
    {
        ["label"] = new Dictionary<string, bool> { [$"{ProjectLabel}={Project}"] = true },
    };

    private static ServiceStatus Assess(string service, ContainerInspectResponse container)
    {
        var state = container.State;
        var status = state.Status ?? "unknown";
        var running = status is not ("created" or "dead" or "removing" or "unknown");
        var health = state.Health?.Status;
        var (healthy, detail) = health is { Length: > 0 } and not "none"
            ? (health == "healthy", health == "healthy" ? "" : $"healthcheck {health}")
            : status == "running" ? (true, "")
            : status == "exited" && state.ExitCode == 0 ? (true, "")
            : (false, status == "exited" ? $"exited with code {state.ExitCode}" : $"state {status}");
        if (!running) detail = $"stuck in {status}";
        return new ServiceStatus(service, container.ID, status, running, running && healthy, detail);
    }

    private static string? Label(IDictionary<string, string>? labels, string key) =>
        labels is not null && labels.TryGetValue(key, out var value) ? value : null;

    private string EffectiveImage(ComposeService service)
    {
        var written = service.Image ?? throw new ComposeFileException(ComposeFilePath, $"service '{service.Name}' has no image");
        return ImageReference.TryParse(written, out var image) && _options.Mirrors.TryGetValue(image!.Domain, out var mirror)
            ? $"{mirror}/{image.Repository}" + (image.Tag is null ? "" : ":" + image.Tag) + (image.Digest is { } d ? "@" + d : "")
            : written;
    }

    private async Task<bool> ImageExistsAsync(string image, CancellationToken ct)
    {
        try
        {
            await _docker.Images.InspectImageAsync(image, ct);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }

    private async Task RunAsync(string action, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var files = new List<string> { "-p", Project, "-f", ComposeFilePath };
        if (await WriteMirrorOverrideAsync(ct)) files.AddRange(["-f", _mirrorOverride]);
        var result = await _command.TryRunAsync([.. files, .. arguments], _directory, _options.CommandTimeout, ct);
        if (result.ExitCode != 0)
            throw new ComposeException(Project, action, $"failed ({_command}, exit code {result.ExitCode})", result.Output);
    }

    /// <summary>
    /// Writes the override that points mirrored images at their mirror (same digest), or removes a stale one.
    /// It carries only <c>image:</c> keys, so the services' labels (and config-hash) are the app's own.
    /// </summary>
    private async Task<bool> WriteMirrorOverrideAsync(CancellationToken ct)
    {
        var services = new JsonObject();
        foreach (var service in ComposeFile.Load(ComposeFilePath).Services)
        {
            var image = EffectiveImage(service);
            if (image != service.Image) services[service.Name] = new JsonObject { ["image"] = image };
        }
        if (services.Count == 0)
        {
            File.Delete(_mirrorOverride);
            return false;
        }
        await File.WriteAllTextAsync(_mirrorOverride, new JsonObject { ["services"] = services }.ToJsonString(), ct);
        return true;
    }
}
