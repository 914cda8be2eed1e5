using System.Net;
using FleetOrchestrator.ComposeApps.Artifacts;
using FleetOrchestrator.ComposeApps.Bundles;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.Edge.Fetch;

public sealed record AppFetcherOptions
{
    /// <summary>Share of the store's file system the agent may fill: a bundle is fetched only when used + 3 × its size stays under it.</summary>
    public double StorageWatermark { get; init; } = 0.8;

    /// <summary>Bounds on the bundle and its index (the same limits the extraction applies).</summary>
    public BundleLimits Limits { get; init; } = BundleLimits.Default;

    internal void Validate()
    {
        if (StorageWatermark is <= 0 or > 1 || double.IsNaN(StorageWatermark))
            throw new ArgumentOutOfRangeException(nameof(StorageWatermark), StorageWatermark, "must be in (0, 1]");
    }
}

/// <summary>
/// Fetches one app by its URI as REFERENCE "Device agent defaults" says: the manifest by digest (sha256 of the
/// body equal to the URI digest, at most 50 KiB, the <c>compose-app</c> annotation), then, after checking free
/// space against the watermark, the bundle index and the bundle into the <see cref="BlobStore"/>, each verified
/// (size and sha256) and resumed from a partial file when one is there. Blobs already in the store are not fetched again.
/// </summary>
public sealed class AppFetcher
{
    /// <summary>Extraction needs room for the download, the extracted files and a staging copy.</summary>
    private const int SpaceFactor = 3;
    private const int CopyBufferBytes = 1 << 20;

    private readonly OciRegistryClient _client;
    private readonly BlobStore _store;
    private readonly AppFetcherOptions _options;

    public AppFetcher(OciRegistryClient client, BlobStore store, AppFetcherOptions? options = null)
    {
        _options = options ?? new AppFetcherOptions();
        _options.Validate();
        _client = client;
        _store = store;
    }

    /// <exception cref="AppFetchException">Anything that stops the fetch; <see cref="AppFetchException.Transient"/> says whether to retry.</exception>
    public async Task<FetchedApp> FetchAsync(string appUri, CancellationToken ct)
    {
        var uri = ParseUri(appUri);
        try
        {
            var manifest = AppManifest.Parse(await ManifestAsync(uri, ct));
            CheckLimits(appUri, manifest);
            await EnsureBlobAsync(uri, manifest.IndexDigest, manifest.IndexSize, null, ct);
            // A broken index makes the app unusable: find out before the (large) bundle is downloaded.
            BundleIndex.Parse(await File.ReadAllBytesAsync(_store.PathOf(manifest.IndexDigest), ct), _options.Limits);
            await EnsureBlobAsync(uri, manifest.BundleDigest, manifest.BundleSize, () => CheckFreeSpace(appUri, manifest.BundleSize), ct);
            return new FetchedApp(uri, manifest, _store.PathOf(manifest.BundleDigest), _store.PathOf(manifest.IndexDigest));
        }
        catch (Exception e) when (e is not AppFetchException && !(e is OperationCanceledException && ct.IsCancellationRequested))
        {
            throw new AppFetchException(appUri, e.Message, IsTransient(e), e);
        }
    }

    private static ImageReference ParseUri(string appUri)
    {
        ImageReference uri;
        try { uri = ImageReference.Parse(appUri); }
        catch (OciReferenceException e) { throw new AppFetchException(appUri, e.Message, transient: false, e); }
        if (uri.Digest is null || uri.Tag is not null)
            throw new AppFetchException(appUri, "an app URI must be <registry>/<factory>/<app>@sha256:<hex>, with a digest and no tag", transient: false);
        return uri;
    }

    /// <summary>The manifest bytes, from the store when a verified copy is there, else from the registry (checked there by digest and size).</summary>
    private async Task<byte[]> ManifestAsync(ImageReference uri, CancellationToken ct)
    {
        var digest = uri.Digest!.Value;
        var stored = new FileInfo(_store.PathOf(digest));
        if (stored.Exists && stored.Length <= AppManifest.MaxBytes) return await File.ReadAllBytesAsync(stored.FullName, ct);
        var fetched = await _client.GetManifestAsync(uri.Domain, uri.Repository, digest.ToString(), ct, maxBytes: AppManifest.MaxBytes);
        // Checked before it is stored, so the store only ever holds compose-app manifests.
        AppManifest.Parse(fetched.Content);
        await _store.PutAsync(digest, fetched.Content, ct);
        return fetched.Content;
    }

    private void CheckLimits(string appUri, AppManifest manifest)
    {
        if (manifest.BundleSize > _options.Limits.MaxBundleBytes)
            throw new AppFetchException(appUri, $"bundle is {manifest.BundleSize} bytes; the limit is {_options.Limits.MaxBundleBytes}", transient: false);
        if (manifest.IndexSize > _options.Limits.MaxIndexBytes)
            throw new AppFetchException(appUri, $"bundle index is {manifest.IndexSize} bytes; the limit is {_options.Limits.MaxIndexBytes}", transient: false);
    }

    private void CheckFreeSpace(string appUri, long bundleSize)
    {
        var drive = new DriveInfo(_store.Root);
        var used = drive.TotalSize - drive.AvailableFreeSpace;
        var limit = (long)(drive.TotalSize * _options.StorageWatermark);
        var needed = SpaceFactor * bundleSize;
        if (used + needed > limit)
            throw new AppFetchException(appUri,
                $"not enough space in {_store.Root}: {used} of {drive.TotalSize} bytes used, the bundle needs {SpaceFactor} × {bundleSize} bytes, " +
                $"the storage watermark is {_options.StorageWatermark:P0} ({limit} bytes)", transient: true);
    }

    /// <summary>Downloads a blob unless the store has it; <paramref name="beforeDownload"/> runs only when it must be downloaded.</summary>
    private async Task EnsureBlobAsync(ImageReference uri, Digest digest, long size, Action? beforeDownload, CancellationToken ct)
    {
        if (_store.Contains(digest, size)) return;
        using var held = await _store.LockAsync(digest, ct);
        if (_store.Contains(digest, size)) return; // fetched meanwhile for another app
        beforeDownload?.Invoke();
        await DownloadAsync(uri, digest, size, ct);
    }

    /// <summary>Streams a blob into its partial file (appending to what an earlier attempt left), verifies the whole file, then commits it.</summary>
    private async Task DownloadAsync(ImageReference uri, Digest digest, long size, CancellationToken ct, bool fromScratch = false)
    {
        var partial = _store.PartialPathOf(digest);
        var offset = !fromScratch && File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (offset > size) offset = 0; // not a prefix of this blob: start over
        try
        {
            if (offset < size || size == 0)
            {
                await using var source = await _client.OpenBlobAsync(uri.Domain, uri.Repository, digest, size, ct, offset);
                await using var file = new FileStream(partial, offset > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None,
                    CopyBufferBytes, FileOptions.Asynchronous);
                await source.CopyToAsync(file, CopyBufferBytes, ct);
                file.Flush(flushToDisk: true);
            }
        }
        catch (OciException e) when (e is OciIntegrityException or OciTooLargeException)
        {
            File.Delete(partial); // wrong bytes are not worth resuming
            throw;
        }
        if (offset > 0)
        {
            // Only the new bytes were checked on the way in: the kept prefix is trusted only once the whole file hashes right.
            Digest actual;
            await using (var file = new FileStream(partial, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferBytes, FileOptions.Asynchronous))
                actual = await Digest.Sha256Async(file, ct);
            if (actual != digest)
            {
                File.Delete(partial);
                if (!fromScratch)
                {
                    await DownloadAsync(uri, digest, size, ct, fromScratch: true);
                    return;
                }
                throw new OciIntegrityException($"blob {uri.Name}@{digest} digest", digest.ToString(), actual.ToString());
            }
        }
        Agent.CrashPoints.Reach(Agent.CrashPoints.DownloadBeforeCommit);
        _store.Commit(digest);
    }

    /// <summary>Failures of the network, the registry service or the local disk are retried; bad content is not.</summary>
    private static bool IsTransient(Exception e) => e switch
    {
        OciRegistryUnavailableException or OciAuthenticationException => true,
        OciIntegrityException or OciTooLargeException or OciReferenceException or OciNotFoundException => false,
        OciException { StatusCode: HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests } => true,
        OciException => false,
        AppManifestException or BundleException => false,
        HttpRequestException or IOException or TimeoutException or OperationCanceledException => true,
        _ => false,
    };
}
