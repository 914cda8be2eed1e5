using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Repository;

/// <summary>
/// The standard consistent-snapshot HTTP layout of one view: every <c>N.root.json</c>, <c>timestamp.json</c>,
/// <c>V.snapshot.json</c>, <c>V.targets.json</c>, <c>V.&lt;delegated role&gt;.json</c> and target files as <c>targets/[dir/]&lt;sha256&gt;.&lt;file name&gt;</c>.
/// A repository folder holds one such layout per view under <c>&lt;tag&gt;/&lt;view&gt;/</c>.
/// </summary>
public static class RepositoryLayout
{
    /// <summary>The files of a published view, relative path → bytes, in a safe publishing order (timestamp last).</summary>
    public static IReadOnlyList<(string Path, byte[] Content)> FilesOf(RepositoryState state, string tag, string view)
    {
        var published = TufRepository.PublishedView(state, tag, view);
        var targets = SignedMetadata<TargetsMetadata>.Parse(published.TargetsRaw!);
        var snapshot = SignedMetadata<SnapshotMetadata>.Parse(published.SnapshotRaw!);
        var files = new List<(string, byte[])>();
        var delegated = (published.DelegatedRaw ?? new Dictionary<string, byte[]>())
            .OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => (d.Key, d.Value)).ToList();
        foreach (var metadata in delegated.Select(d => SignedMetadata<TargetsMetadata>.Parse(d.Value, d.Key).Signed).Prepend(targets.Signed))
        foreach (var (name, file) in metadata.Targets)
        {
            var content = published.PublishedTargets?.GetValueOrDefault(name)?.Content
                ?? throw new RepositoryException($"tag {tag} view {view}: no content stored for published target \"{name}\"");
            files.Add((TargetFilePath(name, file.Hashes[Hashes.Sha256]), content));
        }
        foreach (var (role, raw) in delegated) files.Add(($"{targets.Signed.Version}.{role}.json", raw));
        files.Add(($"{targets.Signed.Version}.targets.json", published.TargetsRaw!));
        files.Add(($"{snapshot.Signed.Version}.snapshot.json", published.SnapshotRaw!));
        for (var i = 0; i < state.Roots.Count; i++) files.Add(($"{i + 1}.root.json", state.Roots[i]));
        files.Add(("timestamp.json", published.TimestampRaw!));
        return files;
    }

    /// <summary><c>targets/a/b/&lt;sha256&gt;.c</c> for target <c>a/b/c</c>, as consistent snapshots name target files.</summary>
    public static string TargetFilePath(string targetName, string sha256Hex)
    {
        var slash = targetName.LastIndexOf('/');
        return slash < 0
            ? $"targets/{sha256Hex}.{targetName}"
            : $"targets/{targetName[..(slash + 1)]}{sha256Hex}.{targetName[(slash + 1)..]}";
    }

    /// <summary>
    /// Writes every published view under <c>folder/&lt;tag&gt;/&lt;view&gt;/</c>. Each file is written to a temporary name
    /// and renamed, timestamp.json last, so a client never reads a partial file or a timestamp ahead of its snapshot.
    /// Files of earlier versions are left in place for clients in the middle of an update.
    /// </summary>
    public static async Task WriteAsync(RepositoryState state, string folder, CancellationToken cancellation = default)
    {
        foreach (var (tag, tagState) in state.Tags)
        foreach (var (view, viewState) in tagState.Views)
        {
            if (viewState.TimestampRaw is null) continue;
            var viewFolder = Path.Combine(folder, tag, view);
            foreach (var (path, content) in FilesOf(state, tag, view))
                await WriteFileAsync(Path.Combine(viewFolder, path), content, cancellation);
        }
    }

    private static async Task WriteFileAsync(string path, byte[] content, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            await File.WriteAllBytesAsync(temp, content, cancellation);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
