using System.Security.Cryptography;
using FleetOrchestrator.Oci;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.ComposeApps.Compose;

/// <summary>Where the factory's own images live: <c>&lt;registry&gt;/&lt;factory&gt;/&lt;container&gt;</c>.</summary>
/// <param name="BuildTag">The tag of the containers just built (the git short hash).</param>
public sealed record FactoryImages(string RegistryDomain, string Factory, string BuildTag)
{
    public bool Owns(ImageReference image) =>
        string.Equals(image.Domain, RegistryDomain, StringComparison.OrdinalIgnoreCase)
        && image.Repository.StartsWith(Factory + "/", StringComparison.Ordinal);
}

/// <summary>What one service's image must be pinned to: a tag to resolve, or a digest the file already names.</summary>
public sealed record PinRequest(string Service, string WrittenImage, ImageReference Image)
{
    public bool NeedsResolution => Image.Digest is null;
}

/// <summary>
/// The publishing rules for service images (REFERENCE "Publishing"), as pure decisions: which reference
/// each service resolves, and the rewrite once digests are known.
/// </summary>
public static class ImagePinning
{
    private const string TagVariable = ":${TAG}";

    /// <summary>Every service's pin request; all problems of the file are reported together.</summary>
    public static IReadOnlyList<PinRequest> Plan(ComposeFile compose, FactoryImages factory, string appName)
    {
        var requests = new List<PinRequest>();
        var problems = new List<string>();
        foreach (var service in compose.Services)
        {
            try { requests.Add(PlanService(service, factory)); }
            catch (PinningException e) { problems.Add(e.Message); }
        }
        if (problems.Count > 0) throw new PinningException($"app '{appName}': " + string.Join("; ", problems));
        return requests;
    }

    private static PinRequest PlanService(ComposeService service, FactoryImages factory)
    {
        var written = service.Image
            ?? throw new PinningException($"service '{service.Name}' has no image: every service needs 'image:' (devices never build)");
        var text = written.EndsWith(TagVariable, StringComparison.Ordinal) ? written[..^TagVariable.Length] : written;
        if (text.Contains("${", StringComparison.Ordinal) || text.Contains('$'))
            throw new PinningException($"service '{service.Name}' image '{written}' uses a variable; only a trailing :${{TAG}} on factory images can be pinned");
        ImageReference image;
        try { image = ImageReference.Parse(text); }
        catch (OciReferenceException e) { throw new PinningException($"service '{service.Name}' image '{written}' is not a valid reference: {e.Message}"); }

        var variableTag = !ReferenceEquals(text, written);
        if (factory.Owns(image))
        {
            if (image.Digest is null)
            {
                if (!variableTag && image.Tag is not (null or "latest"))
                    throw new PinningException(
                        $"service '{service.Name}' factory image '{written}' has tag ':{image.Tag}'; factory images use no tag, :latest or :${{TAG}} (moved to the build {factory.BuildTag}) or @sha256");
                image = image with { Tag = factory.BuildTag };
            }
        }
        else if (variableTag)
            throw new PinningException($"service '{service.Name}' image '{written}': :${{TAG}} is only for factory images ({factory.RegistryDomain}/{factory.Factory}/...)");
        else if (image.Tag is null && image.Digest is null)
            throw new PinningException($"service '{service.Name}' image '{written}' has neither tag nor digest: pin to a :tag or @sha256");
        return new PinRequest(service.Name, written, image);
    }

    /// <summary>
    /// Rewrites every service to <c>&lt;domain&gt;/&lt;path&gt;@sha256:&lt;hex&gt;</c>, drops <c>build:</c>, and labels
    /// each service with the hash of its pinned definition; returns the new file bytes.
    /// </summary>
    public static byte[] Apply(ComposeFile compose, IReadOnlyList<PinRequest> plan, IReadOnlyDictionary<ImageReference, Digest> resolved)
    {
        foreach (var request in plan)
        {
            var service = compose.Services.Single(s => s.Name == request.Service);
            var digest = request.Image.Digest
                ?? (resolved.TryGetValue(request.Image, out var d) ? d
                    : throw new PinningException($"service '{request.Service}' image '{request.Image}' was not resolved"));
            service.SetImage(request.Image.WithDigest(digest).ToString());
            service.RemoveBuild();
            service.SetLabel(ComposeService.ConfigHashLabel, ConfigHash(service));
        }
        return compose.ToBytes();
    }

    /// <summary>sha256 of the canonical JSON of the pinned service definition (without this label itself).</summary>
    public static string ConfigHash(ComposeService service) =>
        Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(service.ToJsonWithoutConfigHash())));
}

public sealed class PinningException(string message) : Exception(message);
