using FleetOrchestrator.ComposeApps.Artifacts;
using FleetOrchestrator.ComposeApps.Bundles;
using FleetOrchestrator.ComposeApps.Discovery;
using FleetOrchestrator.ComposeApps.Ignore;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.Publishing;

/// <summary>An app bundle written to a scratch file, ready to push.</summary>
public sealed record AppBundle(AppFolder App, string Path, BundleResult Bundle);

/// <summary>
/// Turns one app folder with its pinned compose file into an immutable OCI artifact: bundle blob, bundle
/// index blob, empty config, manifest tagged <c>app-&lt;version&gt;</c>. Bundling and pushing are separate
/// steps so that every app is bundled (and so checked) before the first one is pushed.
/// </summary>
public sealed class AppPublisher(OciRegistryClient client, string registry, string factory, string scratch,
    IProgress<PublishProgress>? progress = null)
{
    public async Task<AppBundle> BundleAsync(AppFolder app, IgnoreRules ignore, byte[] pinnedCompose, CancellationToken ct)
    {
        var path = Path.Combine(scratch, app.Name + ".tgz");
        BundleResult bundle;
        await using (var output = File.Create(path))
            bundle = await BundleWriter.WriteAsync(app.Path, ignore, pinnedCompose, output, cancellationToken: ct);
        progress?.Report(new PublishProgress("bundle", app.Name, $"{bundle.Size} bytes, {bundle.Index.Files.Count} files, {bundle.Digest}"));
        return new AppBundle(app, path, bundle);
    }

    public async Task<PublishedApp> PushAsync(AppBundle bundled, long version, CancellationToken ct)
    {
        var (app, path, bundle) = bundled;
        var bundleDigest = Digest.Parse(bundle.Digest);
        var repository = $"{factory}/{app.Name}";
        var index = bundle.Index.ToJsonBytes();
        var indexDigest = Digest.Sha256(index);
        await client.PushBlobAsync(registry, repository, indexDigest, index.Length, () => new MemoryStream(index, writable: false), ct);
        await client.PushBlobAsync(registry, repository, bundleDigest, bundle.Size, () => File.OpenRead(path), ct);
        await client.PushBlobAsync(registry, repository, AppManifest.EmptyConfigDigest, OciMediaTypes.OciEmptyContent.Length,
            () => new MemoryStream(OciMediaTypes.OciEmptyContent.ToArray(), writable: false), ct);

        var manifest = new AppManifest(bundleDigest, bundle.Size, indexDigest, index.Length).ToJsonBytes();
        var expected = Digest.Sha256(manifest);
        var stored = await client.PutManifestAsync(registry, repository, AppManifest.VersionTag(version), OciMediaTypes.OciManifest, manifest, ct);
        if (stored != expected)
            throw new PublishException($"app '{app.Name}': the registry stored the manifest as {stored}, but its bytes hash to {expected}");

        var uri = $"{registry}/{repository}@{expected}";
        progress?.Report(new PublishProgress("push", app.Name, uri));
        return new PublishedApp(app.Name, uri, expected.ToString(), bundle.Digest, bundle.Size);
    }
}
