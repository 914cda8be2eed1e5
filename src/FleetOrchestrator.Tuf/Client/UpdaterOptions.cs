namespace FleetOrchestrator.Tuf.Client;

/// <summary>Where the client keeps trusted metadata and targets, where it fetches them, and its safety limits.</summary>
public sealed record UpdaterOptions
{
    /// <summary>Folder holding the trusted metadata (must already contain <c>root.json</c>).</summary>
    public required string MetadataDir { get; init; }

    /// <summary>Base URL of the metadata (e.g. <c>http://host/metadata/</c>).</summary>
    public required Uri MetadataBaseUrl { get; init; }

    /// <summary>Base URL of target files; required only for downloads.</summary>
    public Uri? TargetBaseUrl { get; init; }

    /// <summary>Folder verified target files are written to; required only for downloads.</summary>
    public string? TargetDir { get; init; }

    public const long DefaultRootMaxBytes = 512 * 1024;

    public long RootMaxBytes { get; init; } = DefaultRootMaxBytes;
    public long TimestampMaxBytes { get; init; } = 16 * 1024;
    public long SnapshotMaxBytes { get; init; } = 2 * 1024 * 1024;
    public long TargetsMaxBytes { get; init; } = 5 * 1024 * 1024;

    /// <summary>How many newer root versions one refresh may walk through.</summary>
    public int MaxRootRotations { get; init; } = 256;

    /// <summary>How many delegated roles one target search may visit.</summary>
    public int MaxDelegationsVisited { get; init; } = 32;

    /// <summary>Source of the update start time; expiry is judged against it.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
