namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>Base of every TUF metadata failure: <see cref="Role"/> is the role concerned, <see cref="Check"/> the check that failed.</summary>
public class MetadataException(string role, string check, string message, Exception? inner = null)
    : Exception($"{role}: {check}: {message}", inner)
{
    public string Role { get; } = role;
    public string Check { get; } = check;
}

/// <summary>Metadata bytes that do not parse into the expected, well-formed TUF document.</summary>
public sealed class MetadataFormatException(string role, string check, string message, Exception? inner = null)
    : MetadataException(role, check, message, inner);

/// <summary>Fewer valid signatures than a role's threshold.</summary>
public sealed class SignatureThresholdException(string role, int valid, int threshold, string detail)
    : MetadataException(role, "threshold", $"{valid} valid signature(s) of {threshold} needed ({detail})")
{
    public int Valid { get; } = valid;
    public int Threshold { get; } = threshold;
}

/// <summary>Bytes whose length or a listed hash differs from what trusted metadata says.</summary>
public sealed class HashMismatchException(string role, string check, string message)
    : MetadataException(role, check, message);
