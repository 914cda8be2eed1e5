using FleetOrchestrator.ComposeApps.Compose;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.Publishing;

/// <summary>An image as pinned: the manifest digest, and the platforms it runs on.</summary>
public sealed record ResolvedImage(Digest Digest, IReadOnlySet<string> Platforms);

/// <summary>
/// Reads the manifest of every image services name — tags resolve to digests (the index digest for
/// multi-arch images), digests are checked to exist — each distinct image once, several at a time. The
/// manifest is read, not just HEADed, so the digest pinned is the hash of bytes actually served, checked
/// against what the registry claims; its platforms come along for the per-app architecture check.
/// </summary>
public sealed class ImageResolver(OciRegistryClient registry, int maxConcurrency = ImageResolver.DefaultConcurrency, IProgress<PublishProgress>? progress = null)
{
    /// <summary>
    /// Manifest reads are small and latency-bound: 32 at once resolves a typical factory's images in one or
    /// two round trips without hammering the registry.
    /// </summary>
    public const int DefaultConcurrency = 32;

    public async Task<IReadOnlyDictionary<ImageReference, ResolvedImage>> ResolveAsync(
        IEnumerable<(string App, PinRequest Request)> requests, CancellationToken ct)
    {
        var users = requests
            .GroupBy(r => r.Request.Image)
            .ToDictionary(g => g.Key, g => g.Select(r => $"{r.App}/{r.Request.Service}").ToList());
        var resolved = new Dictionary<ImageReference, ResolvedImage>();
        var failures = new List<string>();
        var unreachable = false;
        using var gate = new SemaphoreSlim(maxConcurrency);
        await Task.WhenAll(users.Keys.Select(async image =>
        {
            await gate.WaitAsync(ct);
            try
            {
                var result = await ResolveOneAsync(image, ct);
                lock (resolved) resolved[image] = result;
                progress?.Report(new PublishProgress("pin", image.ToString(), $"{result.Digest} ({string.Join(", ", result.Platforms)})"));
            }
            catch (OciException e)
            {
                lock (failures)
                {
                    failures.Add($"service {string.Join(", ", users[image])} image '{image}': {e.Message}");
                    unreachable |= e is OciRegistryUnavailableException;
                }
            }
            finally { gate.Release(); }
        }));
        if (failures.Count > 0)
            throw new PublishException("cannot pin images: " + string.Join("; ", failures.Order(StringComparer.Ordinal))) { Transient = unreachable };
        return resolved;
    }

    private async Task<ResolvedImage> ResolveOneAsync(ImageReference image, CancellationToken ct)
    {
        var manifest = await registry.GetManifestAsync(image.Domain, image.Repository, image.ManifestReference, ct);
        var (platforms, config, configSize) = ImagePlatforms.FromManifest(manifest);
        if (platforms is null)
        {
            await using var blob = await registry.OpenBlobAsync(image.Domain, image.Repository, config!.Value, configSize, ct);
            using var content = new MemoryStream((int)configSize);
            await blob.CopyToAsync(content, ct);
            platforms = ImagePlatforms.FromConfig(content.ToArray(), config.Value);
        }
        return new ResolvedImage(manifest.Digest, platforms);
    }

    /// <summary>
    /// The platforms every image of an app runs on: an app is publishable for a platform only if all its
    /// images have it. None in common is an error naming each image's platforms.
    /// </summary>
    public static IReadOnlySet<string> CommonPlatforms(string app, IReadOnlyList<PinRequest> plan, IReadOnlyDictionary<ImageReference, ResolvedImage> resolved)
    {
        IEnumerable<string>? common = null;
        foreach (var request in plan)
            common = common is null ? resolved[request.Image].Platforms : common.Intersect(resolved[request.Image].Platforms, StringComparer.Ordinal);
        var result = new SortedSet<string>(common ?? [], StringComparer.Ordinal);
        if (result.Count == 0)
            throw new PublishException($"app '{app}': its images share no platform: " + string.Join("; ",
                plan.Select(r => $"service '{r.Service}' {r.Image} runs on [{string.Join(", ", resolved[r.Image].Platforms)}]")));
        return result;
    }
}
