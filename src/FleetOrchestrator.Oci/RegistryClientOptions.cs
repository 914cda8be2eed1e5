namespace FleetOrchestrator.Oci;

public sealed record RegistryCredentials(string? Username, string? Password, string? IdentityToken)
{
    internal bool HasPassword => !string.IsNullOrEmpty(Username) && Password is not null;

    // Never print secrets, e.g. in test failures or logs.
    public override string ToString() => $"RegistryCredentials {{ Username = {Username} }}";
}

public sealed record ManifestDescriptor(string MediaType, Digest Digest, long Size);

public sealed record FetchedManifest(string MediaType, Digest Digest, byte[] Content);

public sealed class RegistryClientOptions
{
    /// <summary>http:// instead of https:// for every registry and token service contacted.</summary>
    public bool PlainHttp { get; init; }

    /// <summary>Registry domain → host:port the HTTP calls go to (e.g. docker.io → 127.0.0.1:5000); references keep their domain.</summary>
    public IReadOnlyDictionary<string, string> Mirrors { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Credentials for the registry host actually contacted (the mirror when there is one, else the domain).
    /// Null means docker's config.json ($DOCKER_CONFIG or ~/.docker/config.json); use <c>_ =&gt; null</c> for anonymous only.
    /// </summary>
    public Func<string, RegistryCredentials?>? Credentials { get; init; }

    /// <summary>Attempts per request; only connection errors, timeouts and 5xx answers are retried.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>First retry delay; doubles per attempt with jitter, capped at <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    public long MaxManifestBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Blobs smaller than this go up in one PUT; larger ones in PATCH chunks of this size (buffered in memory).</summary>
    public long ChunkSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>Per attempt, until the response headers arrive (and for reading bounded bodies). Blob streams are not cut by it.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    internal void Validate()
    {
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "at least 1 attempt");
        if (BaseDelay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(BaseDelay), BaseDelay, "must not be negative");
        if (MaxManifestBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxManifestBytes), MaxManifestBytes, "must be positive");
        if (ChunkSize is < 1 or > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(ChunkSize), ChunkSize, "between 1 and 2 GiB");
        if (Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "must be positive");
    }
}
