using FleetOrchestrator.ComposeApps.Compose;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.Publishing;

/// <summary>
/// Resolves the tags that services name to manifest digests (the index digest for multi-arch images),
/// each distinct image once, several at a time.
/// </summary>
public sealed class ImageResolver(OciRegistryClient registry, int maxConcurrency = 8, IProgress<PublishProgress>? progress = null)
{
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
                var descriptor = await registry.ResolveAsync(image, ct);
                lock (resolved) resolved[image] = descriptor.Digest;
                progress?.Report(new PublishProgress("pin", image.ToString(), descriptor.Digest.ToString()));
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
