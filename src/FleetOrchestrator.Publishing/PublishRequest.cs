namespace FleetOrchestrator.Publishing;

/// <summary>One publish of a containers.git revision.</summary>
/// <param name="Repository">A checkout path or a git URL (cloned bare into a temporary folder).</param>
/// <param name="Registry">The factory registry as host[:port]; images and apps go to &lt;registry&gt;/&lt;factory&gt;/...</param>
/// <param name="Version">Target version; null = the number of commits on the ref.</param>
/// <param name="Mirrors">Registry domain → host:port to resolve its images through (air-gapped factories).</param>
public sealed record PublishRequest(
    string Repository,
    string Registry,
    string Factory,
    string Ref = "HEAD",
    string Tag = PublishRequest.DefaultTag,
    IReadOnlyList<string>? HardwareIds = null,
    long? Version = null,
    bool PlainHttp = false,
    IReadOnlyDictionary<string, string>? Mirrors = null)
{
    public const string DefaultTag = "main";
    public const string DefaultHardwareId = "generic";

    public IReadOnlyList<string> EffectiveHardwareIds => HardwareIds is { Count: > 0 } ids ? ids : [DefaultHardwareId];
}

/// <summary>A step of a publish, for progress output and logs.</summary>
public sealed record PublishProgress(string Stage, string Subject, string Message)
{
    public override string ToString() => $"[{Stage}] {Subject}: {Message}";
}

/// <summary>A publish that cannot go on; the message says what is wrong, and nothing was recorded.</summary>
public sealed class PublishException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The cause may go away by itself (the engine or registry was unreachable): retrying makes sense.</summary>
    public bool Transient { get; init; }
}
