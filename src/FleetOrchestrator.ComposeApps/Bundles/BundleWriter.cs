using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using FleetOrchestrator.ComposeApps.Ignore;
using Microsoft.Win32.SafeHandles;

namespace FleetOrchestrator.ComposeApps.Bundles;

/// <summary>
/// Writes an app folder as a reproducible .tar.gz: the same tree and content give the same bytes
/// whatever the file times, owners or the order the file system lists entries in.
/// </summary>
public static class BundleWriter
{
    /// <summary>
    /// zlib level of the gzip layer. 6 is gzip's default; the bytes depend on the level, so it is
    /// part of the format and must not change between publishes.
    /// </summary>
    public const int GzipLevel = 6;

    private const int CopyBufferBytes = 256 * 1024;

    /// <summary>
    /// Writes the bundle of <paramref name="appDirectory"/> to <paramref name="destination"/>: entries
    /// in ordinal order per directory, those <paramref name="rules"/> exclude left out, and
    /// docker-compose.yml holding <paramref name="composeFile"/> (the pinned file) instead of the
    /// file on disk. The digest is computed while writing; nothing is read twice.
    /// </summary>
    /// <exception cref="BundleException">A symlink escapes the folder, a socket, device or fifo is present, or a limit is exceeded.</exception>
    public static async Task<BundleResult> WriteAsync(
        string appDirectory,
        IgnoreRules rules,
        ReadOnlyMemory<byte> composeFile,
        Stream destination,
        BundleLimits? limits = null,
        CancellationToken cancellationToken = default)
    {
        limits ??= BundleLimits.Default;
        if (composeFile.Length > limits.MaxComposeFileBytes)
        {
            throw new BundleException($"{IgnoreRules.ComposeFileName} is {composeFile.Length} bytes; the limit is {limits.MaxComposeFileBytes} bytes.");
        }

        var root = Path.GetFullPath(appDirectory);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"App folder \"{root}\" does not exist.");
        }

        var output = new HashingWriteStream(destination, limits.MaxBundleBytes);
        await using (output.ConfigureAwait(false))
        {
            var walk = new Walk(root, rules, composeFile, limits, output);
            await walk.WriteAllAsync(cancellationToken).ConfigureAwait(false);
            return new BundleResult(output.FinishDigest(), output.BytesWritten, BundleIndex.Create(walk.FileDigests));
        }
    }

    /// <summary>State of one bundle write: the archive being written and what has been counted so far.</summary>
    private sealed class Walk(string root, IgnoreRules rules, ReadOnlyMemory<byte> composeFile, BundleLimits limits, Stream output)
    {
        private readonly Dictionary<string, string> _fileDigests = new(StringComparer.Ordinal);

        /// <summary>Excluded directories entered because a '!' rule may re-include something below; written only if it does.</summary>
        private readonly List<string> _pendingDirectories = [];

        private TarArchiveWriter _tar = null!;
        private int _entries;
        private long _fileBytes;

        public IEnumerable<KeyValuePair<string, string>> FileDigests => _fileDigests;

        public async Task WriteAllAsync(CancellationToken cancellationToken)
        {
            var gzip = new GZipStream(output, new ZLibCompressionOptions { CompressionLevel = GzipLevel }, leaveOpen: true);
            await using (gzip.ConfigureAwait(false))
            {
                // Compression runs on its own task while this one reads, hashes and frames files.
                var compressor = new PipelinedWriteStream(gzip, cancellationToken);
                await using (compressor.ConfigureAwait(false))
                {
                    _tar = new TarArchiveWriter(compressor);
                    await WriteDirectoryContentAsync("", cancellationToken).ConfigureAwait(false);
                    await _tar.FinishAsync(cancellationToken).ConfigureAwait(false);
                    await compressor.CompleteAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        private async Task WriteDirectoryContentAsync(string directory, CancellationToken cancellationToken)
        {
            var names = Directory.EnumerateFileSystemEntries(FullPath(directory)).Select(Path.GetFileName).ToList();
            if (directory.Length == 0 && !names.Contains(IgnoreRules.ComposeFileName))
            {
                names.Add(IgnoreRules.ComposeFileName);
            }

            names.Sort(StringComparer.Ordinal);
            foreach (var name in names)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var path = BundlePath.Join(directory, name!);
                if (path == IgnoreRules.ComposeFileName)
                {
                    await WriteComposeFileAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (BundlePath.FindProblem(path) is { } problem)
                {
                    throw new BundleException($"Cannot bundle \"{path}\": {problem}.");
                }

                // The rules file is publishing input, not app content: it never ships.
                var excluded = path == IgnoreRules.FileName || rules.IsExcluded(path);
                await WriteEntryAsync(path, excluded, cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task WriteEntryAsync(string path, bool excluded, CancellationToken cancellationToken)
        {
            var full = FullPath(path);
            var (kind, permissions) = UnixFileStatus.Lstat(full);
            if (kind == UnixFileKind.Directory)
            {
                if (!excluded)
                {
                    await AddEntryAsync(cancellationToken).ConfigureAwait(false);
                    await _tar.WriteDirectoryAsync(path, cancellationToken).ConfigureAwait(false);
                    await WriteDirectoryContentAsync(path, cancellationToken).ConfigureAwait(false);
                }
                else if (rules.HasReincludes)
                {
                    _pendingDirectories.Add(path);
                    await WriteDirectoryContentAsync(path, cancellationToken).ConfigureAwait(false);
                    _pendingDirectories.Remove(path);
                }

                return;
            }

            if (excluded)
            {
                return;
            }

            switch (kind)
            {
                case UnixFileKind.RegularFile:
                    await WriteRegularFileAsync(path, full, permissions, cancellationToken).ConfigureAwait(false);
                    break;
                case UnixFileKind.SymbolicLink:
                    await WriteSymbolicLinkAsync(path, new FileInfo(full).LinkTarget!, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new BundleException($"Cannot bundle \"{path}\": it is a {Describe(kind)}; only regular files, directories and symbolic links are allowed.");
            }
        }

        private async Task WriteSymbolicLinkAsync(string path, string target, CancellationToken cancellationToken)
        {
            if (BundlePath.FindLinkTargetProblem(target) is { } problem)
            {
                throw new BundleException($"Symbolic link \"{path}\" has an unusable target: {problem}.");
            }

            if (SymlinkResolver.FindEscape(path, target, ReadLinkOnDisk) is { } escape)
            {
                throw new BundleException($"Symbolic link \"{path}\" points outside the app folder: {escape}.");
            }

            await AddEntryAsync(cancellationToken).ConfigureAwait(false);
            await _tar.WriteSymbolicLinkAsync(path, target, cancellationToken).ConfigureAwait(false);
        }

        private async Task WriteRegularFileAsync(string path, string full, int permissions, CancellationToken cancellationToken)
        {
            using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var size = RandomAccess.GetLength(handle);
            var mode = (permissions & 0b001_001_001) != 0 ? TarArchiveWriter.ExecutableMode : TarArchiveWriter.FileMode;
            await BeginFileAsync(path, mode, size, cancellationToken).ConfigureAwait(false);

            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
            try
            {
                long offset = 0;
                while (offset < size)
                {
                    var chunk = buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - offset));
                    var read = await RandomAccess.ReadAsync(handle, chunk, offset, cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new BundleException($"\"{path}\" shrank from {size} to {offset} bytes while it was being bundled.");
                    }

                    sha256.AppendData(buffer, 0, read);
                    await _tar.WriteFileDataAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    offset += read;
                }

                if (await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, 1), offset, cancellationToken).ConfigureAwait(false) > 0)
                {
                    throw new BundleException($"\"{path}\" grew past {size} bytes while it was being bundled.");
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            await _tar.EndFileAsync(size, cancellationToken).ConfigureAwait(false);
            _fileDigests.Add(path, "sha256:" + Convert.ToHexStringLower(sha256.GetHashAndReset()));
        }

        private async Task WriteComposeFileAsync(CancellationToken cancellationToken)
        {
            await BeginFileAsync(IgnoreRules.ComposeFileName, TarArchiveWriter.FileMode, composeFile.Length, cancellationToken).ConfigureAwait(false);
            await _tar.WriteFileDataAsync(composeFile, cancellationToken).ConfigureAwait(false);
            await _tar.EndFileAsync(composeFile.Length, cancellationToken).ConfigureAwait(false);
            _fileDigests.Add(IgnoreRules.ComposeFileName, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(composeFile.Span)));
        }

        private async Task BeginFileAsync(string path, int mode, long size, CancellationToken cancellationToken)
        {
            if (size > limits.MaxFileBytes)
            {
                throw new BundleException($"\"{path}\" is {size} bytes; the limit for one file is {limits.MaxFileBytes} bytes.");
            }

            _fileBytes += size;
            if (_fileBytes > limits.MaxExtractedBytes)
            {
                throw new BundleException($"Files up to \"{path}\" add up to {_fileBytes} bytes; the limit for all files is {limits.MaxExtractedBytes} bytes.");
            }

            await AddEntryAsync(cancellationToken).ConfigureAwait(false);
            await _tar.BeginFileAsync(path, mode, size, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Counts an entry against the limit and first writes the excluded directories it sits in.</summary>
        private async Task AddEntryAsync(CancellationToken cancellationToken)
        {
            var pending = _pendingDirectories.ToList();
            _pendingDirectories.Clear();
            _entries += pending.Count + 1;
            if (_entries > limits.MaxEntries)
            {
                throw new BundleException($"The bundle has more than {limits.MaxEntries} entries, the limit.");
            }

            foreach (var directory in pending)
            {
                await _tar.WriteDirectoryAsync(directory, cancellationToken).ConfigureAwait(false);
            }
        }

        private string? ReadLinkOnDisk(string path) => new FileInfo(FullPath(path)).LinkTarget;

        private string FullPath(string path) => path.Length == 0 ? root : Path.Combine(root, path);

        private static string Describe(UnixFileKind kind) => kind switch
        {
            UnixFileKind.CharacterDevice => "character device",
            UnixFileKind.BlockDevice => "block device",
            UnixFileKind.Fifo => "fifo",
            UnixFileKind.Socket => "socket",
            _ => "file of unknown type",
        };
    }
}
