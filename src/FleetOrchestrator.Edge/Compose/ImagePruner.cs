using Docker.DotNet;
using Docker.DotNet.Models;

namespace FleetOrchestrator.Edge.Compose;

/// <summary>
/// Removes images the agent's apps no longer use (REFERENCE "prune unused images afterwards, except those
/// labelled to keep"). Only images the agent brought in are candidates, never the whole engine: a device
/// may hold images of other tools, and a global prune would delete them too.
/// </summary>
public sealed class ImagePruner(IDockerClient docker, string keepLabel = ImagePruner.DefaultKeepLabel)
{
    /// <summary>An image with this label (any value) is never pruned.</summary>
    public const string DefaultKeepLabel = "io.fleetorchestrator.keep";

    /// <summary>
    /// Removes each of <paramref name="candidates"/> (image references of old or removed apps) that is not in
    /// <paramref name="stillUsed"/>, not used by any container, and not labelled to keep. Removing a reference
    /// deletes the image only when no other name points at it. Returns the references removed.
    /// </summary>
    public async Task<IReadOnlyList<string>> PruneAsync(IEnumerable<string> candidates, IEnumerable<string> stillUsed, CancellationToken ct)
    {
        var keep = new HashSet<string>(stillUsed, StringComparer.Ordinal);
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true }, ct);
        var imagesInUse = containers.Select(c => c.ImageID).ToHashSet(StringComparer.Ordinal);
        var removed = new List<string>();
        foreach (var image in candidates.Distinct(StringComparer.Ordinal).Where(i => !keep.Contains(i)))
        {
            ImageInspectResponse inspected;
            try { inspected = await docker.Images.InspectImageAsync(image, ct); }
            catch (DockerImageNotFoundException) { continue; }
            if (imagesInUse.Contains(inspected.ID)) continue;
            if (inspected.Config?.Labels?.ContainsKey(keepLabel) == true) continue;
            try
            {
                await docker.Images.DeleteImageAsync(image, new ImageDeleteParameters(), ct);
                removed.Add(image);
            }
            catch (DockerApiException e) when (e.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound)
            {
                // Taken into use or removed meanwhile: leave it.
            }
        }
        return removed;
    }
}
