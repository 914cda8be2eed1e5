namespace FleetOrchestrator.ComposeApps.Bundles;

/// <summary>A written bundle: "sha256:&lt;hex&gt;" and size of the .tar.gz bytes, and the index of its files.</summary>
public sealed record BundleResult(string Digest, long Size, BundleIndex Index);
