using FleetOrchestrator.ComposeApps.Artifacts;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.Edge.Fetch;

/// <summary>An app whose manifest, bundle and bundle index are verified and in the store.</summary>
/// <param name="Uri">The app URI, <c>&lt;registry&gt;/&lt;factory&gt;/&lt;app&gt;@sha256:...</c>.</param>
public sealed record FetchedApp(ImageReference Uri, AppManifest Manifest, string BundlePath, string IndexPath)
{
    /// <summary>The last path component of the URI: the app's folder name when it was published.</summary>
    public string PublishedName => Uri.Repository[(Uri.Repository.LastIndexOf('/') + 1)..];
}
