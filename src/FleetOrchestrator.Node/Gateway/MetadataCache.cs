using System.Security.Cryptography;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>One file the gateway serves, with its strong ETag computed once.</summary>
public sealed record CachedFile(byte[] Content, string ETag)
{
    public static CachedFile Of(byte[] content) => new(content, $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..32]}\"");
}

/// <summary>
/// The signed metadata the gateway serves, replaced as a whole on every <see cref="RepositoryMetadata"/> so a
/// request reads one consistent version without locks and without touching the actor system.
/// </summary>
public sealed class MetadataCache
{
    private sealed record Files(long Revision, IReadOnlyList<CachedFile> Roots, IReadOnlyDictionary<(string Tag, string View), IReadOnlyDictionary<string, CachedFile>> Views,
        IReadOnlyDictionary<string, CachedFile>? Unpublished);

    private volatile Files? _files;

    public bool IsLoaded => _files is not null;

    /// <summary>Takes <paramref name="metadata"/> unless what is held is newer; says whether it was taken.</summary>
    /// <remarks>One writer (the feeding actor) calls this, so check-then-set needs no lock.</remarks>
    public bool Update(RepositoryMetadata metadata)
    {
        if (_files is { } current && current.Revision > metadata.Revision) return false;
        var views = metadata.Views.ToDictionary(v => (v.Tag, v.View), FilesOf);
        _files = new Files(metadata.Revision, metadata.Roots.Select(CachedFile.Of).ToList(), views, metadata.Unpublished is { } chain ? FilesOf(chain) : null);
        return true;
    }

    private static IReadOnlyDictionary<string, CachedFile> FilesOf(ViewMetadata view)
    {
        var files = new Dictionary<string, CachedFile>(StringComparer.Ordinal)
        {
            ["timestamp.json"] = CachedFile.Of(view.Timestamp),
            [$"{view.SnapshotVersion}.snapshot.json"] = CachedFile.Of(view.Snapshot),
            [$"{view.TargetsVersion}.targets.json"] = CachedFile.Of(view.Targets),
        };
        foreach (var (name, content) in view.TargetFiles)
            files[RepositoryLayout.TargetFilePath(name, Convert.ToHexStringLower(SHA256.HashData(content)))] = CachedFile.Of(content);
        return files;
    }

    /// <summary>Whether the chain served for tags with nothing published is signed and held.</summary>
    public bool HasUnpublished => _files?.Unpublished is not null;

    /// <summary>A file of the chain served for tags with nothing published (<c>timestamp.json</c>, <c>V.snapshot.json</c>, <c>V.targets.json</c>), or null.</summary>
    public CachedFile? UnpublishedFile(string path) => _files?.Unpublished?.GetValueOrDefault(path);

    /// <summary>A root version (shared by every view), or null.</summary>
    public CachedFile? Root(int version) =>
        _files is { } files && version >= 1 && version <= files.Roots.Count ? files.Roots[version - 1] : null;

    /// <summary>Whether <paramref name="tag"/> has a signed view named <paramref name="view"/>.</summary>
    public bool HasView(string tag, string view) => _files?.Views.ContainsKey((tag, view)) == true;

    /// <summary>A file of a view by its repository path (<c>timestamp.json</c>, <c>V.snapshot.json</c>, <c>targets/&lt;sha256&gt;.name</c>...), or null.</summary>
    public CachedFile? File(string tag, string view, string path) =>
        _files?.Views.GetValueOrDefault((tag, view))?.GetValueOrDefault(path);
}
