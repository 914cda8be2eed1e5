using System.Collections.Concurrent;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.Edge.Fetch;

/// <summary>
/// Content-addressed files under <c>&lt;store&gt;/blobs/sha256/&lt;hex&gt;</c>. A blob gets its final name only by an
/// atomic rename after its whole content was verified, so a file at that name is trusted; downloads in
/// progress live beside it as <c>&lt;hex&gt;.partial</c> and are resumed from their length.
/// </summary>
public sealed class BlobStore
{
    private const string PartialSuffix = ".partial";

    // Two apps can share a blob (identical bundles): one download at a time per blob within this process.
    private readonly ConcurrentDictionary<Digest, SemaphoreSlim> _locks = new();

    public BlobStore(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(BlobDirectory);
    }

    public string Root { get; }

    private string BlobDirectory => Path.Combine(Root, "blobs", Digest.Sha256Algorithm);

    /// <summary>Where the verified blob lives (whether or not it is there yet).</summary>
    public string PathOf(Digest digest) => Path.Combine(BlobDirectory, digest.Hex);

    public string PartialPathOf(Digest digest) => PathOf(digest) + PartialSuffix;

    /// <summary>True when the verified blob is present with the expected size.</summary>
    public bool Contains(Digest digest, long size)
    {
        var file = new FileInfo(PathOf(digest));
        return file.Exists && file.Length == size;
    }

    /// <summary>Stores small verified content (a manifest) under its digest.</summary>
    public async Task PutAsync(Digest digest, byte[] content, CancellationToken ct)
    {
        if (Digest.Sha256(content) != digest) throw new ArgumentException($"content does not hash to {digest}", nameof(content));
        var partial = PartialPathOf(digest);
        await using (var stream = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await stream.WriteAsync(content, ct);
            stream.Flush(flushToDisk: true);
        }
        Commit(digest);
    }

    /// <summary>Holds the blob's download lock until the returned value is disposed.</summary>
    public async Task<IDisposable> LockAsync(Digest digest, CancellationToken ct)
    {
        var gate = _locks.GetOrAdd(digest, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }

    /// <summary>Moves a fully verified partial file to the blob's name.</summary>
    public void Commit(Digest digest) => File.Move(PartialPathOf(digest), PathOf(digest), overwrite: true);
}
