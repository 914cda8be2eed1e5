using System.Net;

namespace FleetOrchestrator.Oci;

/// <summary>Base of every error the OCI client raises; <see cref="StatusCode"/> is set when a registry answered.</summary>
public class OciException : Exception
{
    public HttpStatusCode? StatusCode { get; }

    public OciException(string message, HttpStatusCode? statusCode = null, Exception? inner = null) : base(message, inner) =>
        StatusCode = statusCode;
}

/// <summary>401/403 from a registry or its token service, or no usable credentials for the challenge.</summary>
public sealed class OciAuthenticationException(string registry, string? repository, string? scope, string detail, HttpStatusCode? statusCode = null)
    : OciException(
        $"authentication failed at registry {registry}" +
        (repository is null ? "" : $" for repository {repository}") +
        (scope is null ? "" : $" (scope {scope})") + $": {detail}", statusCode)
{
    public string Registry { get; } = registry;
    public string? Repository { get; } = repository;
    public string? Scope { get; } = scope;
}

/// <summary>404: <see cref="What"/> is "manifest" or "blob".</summary>
public sealed class OciNotFoundException(string what, string registry, string repository, string reference, string registryErrors)
    : OciException($"{what} {reference} not found in {registry}/{repository}" + (registryErrors.Length == 0 ? "" : $": {registryErrors}"),
        HttpStatusCode.NotFound)
{
    public string What { get; } = what;
    public string Registry { get; } = registry;
    public string Repository { get; } = repository;
    public string Reference { get; } = reference;
}

/// <summary>Content whose size or digest is not what was expected.</summary>
public sealed class OciIntegrityException(string subject, string expected, string actual)
    : OciException($"{subject}: expected {expected}, got {actual}")
{
    public string Expected { get; } = expected;
    public string Actual { get; } = actual;
}

/// <summary>Connection errors, timeouts or 5xx answers on every one of <see cref="Attempts"/> attempts.</summary>
public sealed class OciRegistryUnavailableException(string registry, int attempts, string lastError, Exception? inner)
    : OciException($"registry {registry} unavailable after {attempts} attempt(s); last error: {lastError}", inner: inner)
{
    public string Registry { get; } = registry;
    public int Attempts { get; } = attempts;
    public string LastError { get; } = lastError;
}

/// <summary>An image reference or digest that does not follow the distribution grammar.</summary>
public sealed class OciReferenceException(string? text, string reason)
    : OciException($"invalid reference '{text}': {reason}")
{
    public string? Text { get; } = text;
    public string Reason { get; } = reason;
}

/// <summary>A registry answer larger than the limit set for it; raised before the excess is read.</summary>
public sealed class OciTooLargeException(string subject, long limit, string actual)
    : OciException($"{subject} is too large: limit {limit} bytes, got {actual}")
{
    public long Limit { get; } = limit;
}
