using System.Buffers;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace FleetOrchestrator.ComposeApps.Bundles;

/// <summary>
/// Reads bundles from untrusted sources. Extraction goes to a fresh staging folder and is moved
/// into place only when every entry was acceptable and every file matches the bundle index; on
/// any failure the staging folder is removed and the target is left as it was.
/// </summary>
public static class BundleReader
{
    private const int CopyBufferBytes = 128 * 1024;

    /// <summary>
    /// Extracts <paramref name="bundle"/> (.tar.gz) into <paramref name="targetDirectory"/>, replacing
    /// what is there. Refused: absolute paths, "." or ".." components, duplicate entries, writes
    /// through links, symbolic or hard links leaving the folder, devices, fifos and other special
    /// entries, anything over <paramref name="limits"/>.
    /// </summary>
    /// <exception cref="BundleException">An entry is refused, a limit is exceeded or the archive is malformed.</exception>
    /// <exception cref="BundleIntegrityException">A file is missing, extra, or differs from <paramref name="index"/>.</exception>
    public static async Task ExtractAsync(Stream bundle, BundleIndex index, string targetDirectory, BundleLimits? limits = null, CancellationToken cancellationToken = default)
    {
        limits ??= BundleLimits.Default;
        var target = Path.GetFullPath(targetDirectory).TrimEnd('/');
        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"\"{target}\" has no parent folder to stage in.", nameof(targetDirectory));
        Directory.CreateDirectory(parent);

        // A sibling of the target, so the final move is a rename within one file system.
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var extraction = new Extraction(staging, limits);
            await ReadEntriesAsync(bundle, limits, extraction.AddAsync, cancellationToken).ConfigureAwait(false);
            extraction.CheckLinks();
            Verify(index, extraction.FileDigests);
            File.SetUnixFileMode(staging, DirectoryMode);
            MoveIntoPlace(staging, target);
        }
        catch
        {
            DeleteQuietly(staging);
            throw;
        }
    }

    /// <summary>Reads the regular file at <paramref name="path"/> out of a bundle (for example docker-compose.yml), refusing one over <paramref name="maxBytes"/>.</summary>
    /// <exception cref="BundleException">The bundle has no such regular file, it is too large, or the archive is malformed.</exception>
    public static async Task<byte[]> ReadFileAsync(Stream bundle, string path, long maxBytes, BundleLimits? limits = null, CancellationToken cancellationToken = default)
    {
        limits ??= BundleLimits.Default;
        byte[]? content = null;
        await ReadEntriesAsync(bundle, limits, async (entry, ct) =>
        {
            if (entry.Name != path)
            {
                return true;
            }

            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
            {
                throw new BundleException($"Bundle entry \"{path}\" is a {entry.EntryType}, not a regular file.");
            }

            if (entry.Length > maxBytes)
            {
                throw new BundleException($"Bundle entry \"{path}\" is {entry.Length} bytes; the limit is {maxBytes} bytes.");
            }

            content = new byte[entry.Length];
            if (entry.DataStream is { } data)
            {
                await data.ReadExactlyAsync(content, ct).ConfigureAwait(false);
            }

            return false;
        }, cancellationToken).ConfigureAwait(false);
        return content ?? throw new BundleException($"The bundle has no entry \"{path}\".");
    }

    private static UnixFileMode DirectoryMode => (UnixFileMode)0b111_101_101;

    /// <summary>Feeds each entry to <paramref name="handle"/> until the archive ends or it returns false, bounding size and entry count.</summary>
    private static async Task ReadEntriesAsync(Stream bundle, BundleLimits limits, Func<TarEntry, CancellationToken, Task<bool>> handle, CancellationToken cancellationToken)
    {
        var compressed = new LimitedReadStream(bundle, limits.MaxBundleBytes);
        var gzip = new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true);
        await using (gzip.ConfigureAwait(false))
        {
            var tar = new TarReader(gzip, leaveOpen: true);
            await using (tar.ConfigureAwait(false))
            {
                var entries = 0;
                while (await NextEntryAsync(tar, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    if (++entries > limits.MaxEntries)
                    {
                        throw new BundleException($"The bundle has more than {limits.MaxEntries} entries, the limit.");
                    }

                    if (!await handle(entry, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
        }
    }

    private static async Task<TarEntry?> NextEntryAsync(TarReader tar, CancellationToken cancellationToken)
    {
        try
        {
            return await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new BundleException($"The bundle is not a valid tar.gz: {e.Message}", e);
        }
    }

    private static void Verify(BundleIndex index, IReadOnlyDictionary<string, string> extracted)
    {
        foreach (var (path, expected) in index.Files)
        {
            if (!extracted.TryGetValue(path, out var actual))
            {
                throw new BundleIntegrityException(path, $"The bundle index lists \"{path}\" ({expected}) but the bundle has no such file.");
            }

            if (actual != expected)
            {
                throw new BundleIntegrityException(path, $"\"{path}\" does not match the bundle index: expected {expected}, actual {actual}.");
            }
        }

        foreach (var path in extracted.Keys.Order(StringComparer.Ordinal))
        {
            if (!index.Files.ContainsKey(path))
            {
                throw new BundleIntegrityException(path, $"The bundle has \"{path}\" ({extracted[path]}), which the bundle index does not list.");
            }
        }
    }

    /// <summary>Replaces the target with the staged folder: the old one is renamed aside first and restored if the move fails.</summary>
    private static void MoveIntoPlace(string staging, string target)
    {
        if (!Directory.Exists(target) && !File.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }

        var previous = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.previous-{Guid.NewGuid():N}");
        Directory.Move(target, previous);
        try
        {
            Directory.Move(staging, target);
        }
        catch
        {
            Directory.Move(previous, target);
            throw;
        }

        DeleteQuietly(previous);
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Leftovers are named ".<app>.staging-*" / ".<app>.previous-*" and never read.
        }
    }

    /// <summary>What has been extracted into the staging folder so far.</summary>
    private sealed class Extraction(string staging, BundleLimits limits)
    {
        private enum Kind { Directory, File, SymbolicLink }

        private readonly Dictionary<string, Kind> _kinds = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _fileDigests = new(StringComparer.Ordinal);
        private long _fileBytes;

        public IReadOnlyDictionary<string, string> FileDigests => _fileDigests;

        public async Task<bool> AddAsync(TarEntry entry, CancellationToken cancellationToken)
        {
            var path = entry.EntryType == TarEntryType.Directory && entry.Name.EndsWith('/') ? entry.Name[..^1] : entry.Name;
            if (BundlePath.FindProblem(path) is { } problem)
            {
                throw new BundleException($"Bundle entry \"{entry.Name}\" is refused: {problem}.");
            }

            if (_kinds.ContainsKey(path))
            {
                throw new BundleException($"Bundle entry \"{path}\" appears more than once.");
            }

            PrepareParents(path);
            var full = Path.Combine(staging, path);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(full);
                    File.SetUnixFileMode(full, DirectoryMode);
                    _kinds[path] = Kind.Directory;
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    await ExtractFileAsync(entry, path, full, cancellationToken).ConfigureAwait(false);
                    break;
                case TarEntryType.SymbolicLink:
                    if (BundlePath.FindLinkTargetProblem(entry.LinkName) is { } targetProblem)
                    {
                        throw new BundleException($"Symbolic link \"{path}\" is refused: {targetProblem}.");
                    }

                    File.CreateSymbolicLink(full, entry.LinkName);
                    _links[path] = entry.LinkName;
                    _kinds[path] = Kind.SymbolicLink;
                    break;
                case TarEntryType.HardLink:
                    CopyHardLinkTarget(entry, path, full);
                    break;
                default:
                    throw new BundleException($"Bundle entry \"{path}\" is a {entry.EntryType}; only regular files, directories and links are allowed.");
            }

            return true;
        }

        /// <summary>Refuses symbolic links that leave the folder, resolved through every link in the bundle.</summary>
        public void CheckLinks()
        {
            foreach (var (path, target) in _links)
            {
                if (SymlinkResolver.FindEscape(path, target, _links.GetValueOrDefault) is { } escape)
                {
                    throw new BundleException($"Symbolic link \"{path}\" points outside the app folder: {escape}.");
                }
            }
        }

        /// <summary>Creates missing parent directories; a parent that is a file or a link is refused, so nothing is written through a link.</summary>
        private void PrepareParents(string path)
        {
            for (var slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
            {
                var parent = path[..slash];
                switch (_kinds.GetValueOrDefault(parent, Kind.Directory))
                {
                    case Kind.SymbolicLink:
                        throw new BundleException($"Bundle entry \"{path}\" is refused: it would be written through the symbolic link \"{parent}\".");
                    case Kind.File:
                        throw new BundleException($"Bundle entry \"{path}\" is refused: its parent \"{parent}\" is a file.");
                }

                if (_kinds.TryAdd(parent, Kind.Directory))
                {
                    var full = Path.Combine(staging, parent);
                    Directory.CreateDirectory(full);
                    File.SetUnixFileMode(full, DirectoryMode);
                }
            }
        }

        private async Task ExtractFileAsync(TarEntry entry, string path, string full, CancellationToken cancellationToken)
        {
            CountFile(path, entry.Length);
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var file = new FileStream(full, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Options = FileOptions.Asynchronous,
                PreallocationSize = entry.Length,
            });
            await using (file.ConfigureAwait(false))
            {
                if (entry.DataStream is { } data)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
                    try
                    {
                        int read;
                        while ((read = await data.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                        {
                            sha256.AppendData(buffer, 0, read);
                            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }

            // Set after writing so the result does not depend on the caller's umask.
            File.SetUnixFileMode(full, FileModeFor(entry.Mode));
            _fileDigests[path] = "sha256:" + Convert.ToHexStringLower(sha256.GetHashAndReset());
            _kinds[path] = Kind.File;
        }

        /// <summary>A hard link becomes a copy of a regular file extracted earlier from this bundle; anything else is refused.</summary>
        private void CopyHardLinkTarget(TarEntry entry, string path, string full)
        {
            var target = entry.LinkName;
            if (BundlePath.FindProblem(target) is { } problem)
            {
                throw new BundleException($"Hard link \"{path}\" points outside the app folder: its target \"{target}\" is refused ({problem}).");
            }

            if (!_fileDigests.TryGetValue(target, out var digest))
            {
                throw new BundleException($"Hard link \"{path}\" targets \"{target}\", which is not a regular file earlier in the bundle.");
            }

            var size = new FileInfo(Path.Combine(staging, target)).Length;
            CountFile(path, size);
            File.Copy(Path.Combine(staging, target), full);
            _fileDigests[path] = digest;
            _kinds[path] = Kind.File;
        }

        private void CountFile(string path, long size)
        {
            if (size > limits.MaxFileBytes)
            {
                throw new BundleException($"Bundle entry \"{path}\" is {size} bytes; the limit for one file is {limits.MaxFileBytes} bytes.");
            }

            _fileBytes += size;
            if (_fileBytes > limits.MaxExtractedBytes)
            {
                throw new BundleException($"Files up to \"{path}\" add up to {_fileBytes} bytes; the limit for all files is {limits.MaxExtractedBytes} bytes.");
            }
        }

        /// <summary>0755 when any execute bit is set, else 0644: no setuid, setgid, sticky or world-writable bits from the archive.</summary>
        private static UnixFileMode FileModeFor(UnixFileMode mode) =>
            (UnixFileMode)((int)mode & 0b001_001_001) != 0 ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100;
    }
}
