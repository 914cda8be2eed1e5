using CliWrap;
using CliWrap.Buffered;
using FleetOrchestrator.ComposeApps.Discovery;

namespace FleetOrchestrator.Publishing;

/// <summary>A container image built from a containers.git folder and pushed to the factory registry.</summary>
public sealed record BuiltContainer(string Name, string Image, string BuildTag);

/// <summary>
/// Builds each container folder with the Docker engine (through the docker CLI, as a factory CI would)
/// and pushes <c>&lt;registry&gt;/&lt;factory&gt;/&lt;folder&gt;:&lt;short hash&gt;</c> and <c>:latest</c>.
/// </summary>
public sealed class ContainerBuilder(string registry, string factory, IProgress<PublishProgress>? progress = null)
{
    private const int OutputTailLines = 20;

    /// <summary>What docker prints when the engine or the registry could not be reached (rather than a broken Dockerfile).</summary>
    private static readonly string[] UnreachableMarkers =
        ["Cannot connect to the Docker daemon", "error during connect", "connection refused", "i/o timeout", "TLS handshake timeout", "503 Service Unavailable"];

    public string ImageName(ContainerFolder container) => $"{registry}/{factory}/{container.Name}";

    public async Task<BuiltContainer> BuildAndPushAsync(ContainerFolder container, string buildTag, CancellationToken ct)
    {
        var image = ImageName(container);
        var tagged = $"{image}:{buildTag}";
        progress?.Report(new PublishProgress("build", container.Name, $"docker build -t {tagged}"));
        // The classic builder uses local base images without pulling, which offline factories need.
        await DockerAsync(container.Name, ct, "build", "--quiet", "-t", tagged, "-t", $"{image}:latest", container.Path);
        foreach (var tag in new[] { tagged, $"{image}:latest" })
        {
            progress?.Report(new PublishProgress("push", container.Name, tag));
            await DockerAsync(container.Name, ct, "push", "--quiet", tag);
        }
        return new BuiltContainer(container.Name, image, buildTag);
    }

    private static async Task DockerAsync(string subject, CancellationToken ct, params string[] args)
    {
        BufferedCommandResult result;
        try
        {
            result = await Cli.Wrap("docker").WithArguments(args)
                .WithEnvironmentVariables(e => e.Set("DOCKER_BUILDKIT", "0"))
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new PublishException("the docker CLI is not installed: run './build.sh setup'", e);
        }
        if (result.ExitCode != 0)
        {
            var tail = string.Join('\n', (result.StandardError + result.StandardOutput).Trim().Split('\n').TakeLast(OutputTailLines));
            throw new PublishException($"container '{subject}': docker {args[0]} failed (exit {result.ExitCode}):\n{tail}")
            {
                Transient = UnreachableMarkers.Any(marker => tail.Contains(marker, StringComparison.OrdinalIgnoreCase)),
            };
        }
    }
}
