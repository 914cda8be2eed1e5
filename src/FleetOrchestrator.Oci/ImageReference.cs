using System.Text.RegularExpressions;

namespace FleetOrchestrator.Oci;

/// <summary>
/// A fully normalised image reference: <c>nginx:alpine</c> is <c>docker.io/library/nginx:alpine</c>.
/// Follows docker's rules: the first path component is a domain when it contains '.' or ':' or is
/// <c>localhost</c>; Docker Hub official images get the <c>library/</c> prefix.
/// </summary>
public sealed partial record ImageReference(string Domain, string Repository, string? Tag, Digest? Digest)
{
    public const string DockerHubDomain = "docker.io";
    private const int MaxReferenceLength = 1024;
    // The distribution spec caps the repository name; 255 is docker's limit for domain + path.
    private const int MaxNameLength = 255;

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")]
    private static partial Regex PathComponent();

    /// <summary>Whether <paramref name="name"/> can be one component of a repository name (the distribution spec's grammar).</summary>
    public static bool IsPathComponent(string name) => PathComponent().IsMatch(name);

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^(?:(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")]
    private static partial Regex DomainPattern();

    /// <summary>domain/repository, without tag or digest.</summary>
    public string Name => $"{Domain}/{Repository}";

    /// <summary>What to ask the registry for: the digest when there is one, else the tag, else <c>latest</c>.</summary>
    public string ManifestReference => Digest?.ToString() ?? Tag ?? "latest";

    public static ImageReference Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new OciReferenceException(text, "reference is empty");
        if (text.Length > MaxReferenceLength)
            throw new OciReferenceException(text[..64] + "...", $"reference is {text.Length} characters long, at most {MaxReferenceLength} allowed");
        if (text.Trim() != text) throw new OciReferenceException(text, "reference has leading or trailing whitespace");

        var remainder = text;
        Digest? digest = null;
        var at = remainder.IndexOf('@');
        if (at >= 0)
        {
            if (!Oci.Digest.TryParse(remainder[(at + 1)..], out var parsed, out var digestError))
                throw new OciReferenceException(text, digestError);
            digest = parsed;
            remainder = remainder[..at];
        }

        string? tag = null;
        var tagColon = remainder.LastIndexOf(':');
        if (tagColon > remainder.LastIndexOf('/'))
        {
            tag = remainder[(tagColon + 1)..];
            remainder = remainder[..tagColon];
            ValidateTag(text, tag);
        }

        if (remainder.Length == 0) throw new OciReferenceException(text, "repository name is empty");
        var (domain, repository) = SplitDomain(remainder);
        ValidateName(text, domain, repository);
        return new ImageReference(domain, repository, tag, digest);
    }

    /// <summary>Checks a domain and repository given separately (as the client's API takes them).</summary>
    internal static void ValidateName(string text, string domain, string repository)
    {
        ValidateDomain(text, domain);
        ValidateRepository(text, repository);
        if (domain.Length + 1 + repository.Length > MaxNameLength)
            throw new OciReferenceException(text, $"name is {domain.Length + 1 + repository.Length} characters long, at most {MaxNameLength} allowed");
    }

    internal static void ValidateDomain(string text, string domain)
    {
        if (!DomainPattern().IsMatch(domain)) throw new OciReferenceException(text, $"domain '{domain}' is not a valid host[:port]");
    }

    internal static void ValidateTag(string text, string tag)
    {
        if (!TagPattern().IsMatch(tag))
            throw new OciReferenceException(text,
                $"tag '{tag}' is invalid: 1 to 128 characters of letters, digits, '_', '.', '-', not starting with '.' or '-'");
    }

    public static bool TryParse(string? text, out ImageReference? reference)
    {
        reference = null;
        if (text is null) return false;
        try { reference = Parse(text); return true; }
        catch (OciReferenceException) { return false; }
    }

    private static (string Domain, string Repository) SplitDomain(string name)
    {
        var slash = name.IndexOf('/');
        if (slash > 0)
        {
            var first = name[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost")
            {
                var domain = first == "index.docker.io" ? DockerHubDomain : first;
                var path = name[(slash + 1)..];
                return (domain, domain == DockerHubDomain && !path.Contains('/') ? "library/" + path : path);
            }
        }
        return (DockerHubDomain, slash < 0 ? "library/" + name : name);
    }

    private static void ValidateRepository(string text, string repository)
    {
        foreach (var component in repository.Split('/'))
        {
            if (component.Length == 0)
                throw new OciReferenceException(text, $"repository '{repository}' has an empty path component");
            if (PathComponent().IsMatch(component)) continue;
            if (component.Any(char.IsUpper))
                throw new OciReferenceException(text, $"repository '{repository}' must be lowercase");
            throw new OciReferenceException(text,
                $"repository path component '{component}' is invalid: lowercase letters and digits separated by '.', '_', '__' or '-'");
        }
    }

    /// <summary>The same repository pinned to a digest, without tag: <c>domain/repo@sha256:...</c>.</summary>
    public ImageReference WithDigest(Digest digest) => this with { Tag = null, Digest = digest };

    public override string ToString() =>
        Name + (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");
}
