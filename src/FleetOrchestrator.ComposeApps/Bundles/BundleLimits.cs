namespace FleetOrchestrator.ComposeApps.Bundles;

/// <summary>Size bounds applied when a bundle is written and again when it is read.</summary>
public sealed record BundleLimits
{
    private const long OneGiB = 1L << 30;

    /// <summary>The limits of the reference tool: compose file ≤ 1 MiB, a file ≤ 1 GiB, bundle ≤ 1 GiB.</summary>
    public static BundleLimits Default { get; } = new();

    /// <summary>Largest docker-compose.yml.</summary>
    public long MaxComposeFileBytes { get; init; } = 1L << 20;

    /// <summary>Largest single regular file.</summary>
    public long MaxFileBytes { get; init; } = OneGiB;

    /// <summary>Largest compressed bundle (the .tar.gz blob).</summary>
    public long MaxBundleBytes { get; init; } = OneGiB;

    /// <summary>Largest sum of regular file sizes, so a small bundle cannot expand without bound.</summary>
    public long MaxExtractedBytes { get; init; } = OneGiB;

    /// <summary>Most entries (files, directories, links) in a bundle.</summary>
    public int MaxEntries { get; init; } = 100_000;

    /// <summary>Largest bundle index JSON.</summary>
    public int MaxIndexBytes { get; init; } = 16 << 20;
}
