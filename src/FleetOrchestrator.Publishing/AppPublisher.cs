using FleetOrchestrator.ComposeApps.Artifacts;
using FleetOrchestrator.ComposeApps.Bundles;
using FleetOrchestrator.ComposeApps.Discovery;
using FleetOrchestrator.ComposeApps.Ignore;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.Publishing;

/// <summary>
/// Turns one app folder with its pinned compose file into an immutable OCI artifact: bundle blob, bundle
/// index blob, empty config, manifest tagged <c>app-&lt;version&gt;</c>.
/// </summary>
public sealed class AppPublisher(OciRegistryClient client, string registry, string factory, string scratch,
    IProgress<PublishProgress>? progress = null)
{
    public async Task<PublishedApp> PublishAsync(AppFolder app, IgnoreRules ignore, byte[] pinnedCompose, long version, CancellationToken ct)
    {
        var repository = $"{factory}/{app.Name}";
        var bundlePath = Path.Combine(scratch, app.Name + ".tgz");
        BundleResult bundle;
        await using (var output = File.Create(bundlePath))
            bundle = BundleWriter.Write(app.Path, ignore, pinnedCompose, output);
        progress?.Report(new PublishProgress("bundle", app.Name, $"{bundle.Size} bytes, {bundle.Index.Count} files, {bundle.Digest}"));

        var index = bundle.Index.ToJsonBytes();
        var indexDigest = Digest.Sha256(index);
        await client.PushBlobAsync(registry, repository, indexDigest, index.Length, () => new MemoryStream(index, writable: false), ct);
        await client.PushBlobAsync(registry, repository, bundle.Digest, bundle.Size, () => File.OpenRead(bundlePath), ct);
        await client.PushBlobAsync(registry, repository, AppManifest.EmptyConfigDigest, OciMediaTypes.OciEmptyContent.Length,
            () => new MemoryStream(OciMediaTypes.OciEmptyContent.ToArray(), writable: false), ct);

        var manifest = new AppManifest(bundle.Digest, bundle.Size, indexDigest, index.Length).ToJsonBytes();
        var expected = Digest.Sha256(manifest);
        var stored = await client.PutManifestAsync(registry, repository, AppManifest.VersionTag(version), OciMediaTypes.OciManifest, manifest, ct);
        if (stored != expected)
            throw new PublishException($"app '{app.Name}': the registry stored the manifest as {stored}, but its bytes hash to {expected}");
        File.Delete(bundlePath);

        var uri = $"{registry}/{repository}@{expected}";
        progress?.Report(new PublishProgress("app", app.Name, uri));
        return new PublishedApp(app.Name, uri, expected.ToString(), bundle.Digest.ToString(), bundle.Size);
    }
}
