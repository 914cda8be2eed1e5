using FleetOrchestrator.ComposeApps.Compose;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.Publishing;

/// <summary>
/// Resolves the tags that services name to manifest digests (the index digest for multi-arch images),
/// each distinct image once, several at a time. The manifest is read, not just HEADed, so the digest pinned
/// is the hash of bytes actually served, checked against what the registry claims.
/// </summary>
public sealed class ImageResolver(OciRegistryClient registry, int maxConcurrency = ImageResolver.DefaultConcurrency, IProgress<PublishProgress>? progress = null)
{
    /// <summary>
    /// Manifest reads are small and latency-bound: 32 at once resolves a typical factory's images in one or
    /// two round trips without hammering the registry.
    /// </summary>
    public const int DefaultConcurrency = 32;

    public async Task<IReadOnlyDictionary<ImageReference, Digest>> ResolveAsync(
        IEnumerable<(string App, PinRequest Request)> requests, CancellationToken ct)
    {
        var users = requests.Where(r => r.Request.NeedsResolution)
            .GroupBy(r => r.Request.Image)
            .ToDictionary(g => g.Key, g => g.Select(r => $"{r.App}/{r.Request.Service}").ToList());
        var resolved = new Dictionary<ImageReference, Digest>();
        var failures = new List<string>();
        using var gate = new SemaphoreSlim(maxConcurrency);
        await Task.WhenAll(users.Keys.Select(async image =>
        {
            await gate.WaitAsync(ct);
            try
            {
                var manifest = await registry.GetManifestAsync(image.Domain, image.Repository, image.ManifestReference, ct);
                lock (resolved) resolved[image] = manifest.Digest;
                progress?.Report(new PublishProgress("pin", image.ToString(), manifest.Digest.ToString()));
            }
            catch (OciException e)
            {
                lock (failures) failures.Add($"service {string.Join(", ", users[image])} image '{image}': {e.Message}");
            }
            finally { gate.Release(); }
        }));
        if (failures.Count > 0)
            throw new PublishException("cannot pin images: " + string.Join("; ", failures.Order(StringComparer.Ordinal)));
        return resolved;
    }
}
