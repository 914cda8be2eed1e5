namespace FleetOrchestrator.Tuf.Client;

/// <summary>
/// The client's trusted metadata on disk: one unversioned file per role (<c>root.json</c>,
/// <c>&lt;url-encoded role&gt;.json</c>), holding the raw bytes exactly as received. Writes go to a
/// temporary file renamed over the old one, so a crash leaves either the old or the new file.
/// </summary>
public sealed class TrustedMetadataStore(string directory)
{
    public string Directory { get; } = directory;

    /// <summary>The file of a role; the role name is URL-encoded so names like <c>../x</c> stay inside the folder.</summary>
    public string PathOf(string role) => Path.Combine(Directory, Uri.EscapeDataString(role) + ".json");

    /// <summary>The stored bytes of a role, or null when none are stored.</summary>
    public async Task<byte[]?> ReadAsync(string role, long maxBytes, CancellationToken cancellation = default)
    {
        var path = PathOf(role);
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
            if (file.Length > maxBytes)
                throw new TufDownloadException(role, "local-size", $"stored {role} metadata {path} is {file.Length} bytes, over the limit of {maxBytes}");
            var bytes = new byte[file.Length];
            await file.ReadExactlyAsync(bytes, cancellation);
            return bytes;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public async Task WriteAsync(string role, byte[] raw, CancellationToken cancellation = default)
    {
        System.IO.Directory.CreateDirectory(Directory);
        await AtomicFile.WriteAsync(PathOf(role), raw, cancellation);
    }

    public void Delete(string role) => File.Delete(PathOf(role));
}

/// <summary>Write-then-rename so readers never see a partial file.</summary>
internal static class AtomicFile
{
    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellation)
    {
        // The temporary name is hidden and not *.json, so a crash mid-write never looks like metadata.
        var temp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true))
            {
                await file.WriteAsync(content, cancellation);
                await file.FlushAsync(cancellation);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
