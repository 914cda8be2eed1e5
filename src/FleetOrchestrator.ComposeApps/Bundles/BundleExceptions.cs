namespace FleetOrchestrator.ComposeApps.Bundles;

/// <summary>A bundle that cannot be written or read: a forbidden entry, a limit exceeded, or a malformed archive.</summary>
public class BundleException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>Extracted files that do not match the bundle index: a file missing, extra, or with other content.</summary>
public sealed class BundleIntegrityException(string path, string message) : BundleException(message)
{
    /// <summary>The bundle path at fault.</summary>
    public string Path { get; } = path;
}
