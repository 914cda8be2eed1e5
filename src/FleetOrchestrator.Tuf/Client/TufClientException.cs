namespace FleetOrchestrator.Tuf.Client;

/// <summary>
/// A refusal by the TUF client. <see cref="Role"/> is the metadata role (or target path) concerned and
/// <see cref="Check"/> the workflow check that failed, so callers and logs can tell attacks apart.
/// </summary>
public class TufClientException(string role, string check, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Role { get; } = role;
    public string Check { get; } = check;
}

/// <summary>An HTTP fetch failed: status other than success, a body larger than allowed, or a transport error.</summary>
public sealed class TufDownloadException(string role, string check, string message, Exception? inner = null)
    : TufClientException(role, check, message, inner);

/// <summary>Metadata could not be parsed or is not the expected role type.</summary>
public sealed class TufMetadataFormatException(string role, string message, Exception? inner = null)
    : TufClientException(role, "format", message, inner);

/// <summary>Not enough valid signatures from the role's authorised keys.</summary>
public sealed class TufSignatureException(string role, string message, Exception? inner = null)
    : TufClientException(role, "signatures", message, inner);

/// <summary>A version is lower than trusted, or differs from the version another role vouches for.</summary>
public sealed class TufVersionException(string role, string check, string message)
    : TufClientException(role, check, message);

/// <summary>Metadata whose <c>expires</c> lies before the update start time.</summary>
public sealed class TufExpiredException(string role, DateTimeOffset expires, DateTimeOffset now)
    : TufClientException(role, "expiry", $"{role} metadata expired at {expires:O} (update started at {now:O})");

/// <summary>A file's length or one of its hashes differs from what trusted metadata lists.</summary>
public sealed class TufLengthOrHashException(string role, string check, string message)
    : TufClientException(role, check, message);

/// <summary>A role listed in the trusted snapshot is absent from the new one, or a role has no snapshot entry.</summary>
public sealed class TufRoleMissingException(string role, string message)
    : TufClientException(role, "role-missing", message);
