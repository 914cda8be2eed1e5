namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>The names of the four top-level TUF roles.</summary>
public static class Role
{
    public const string Root = "root";
    public const string Targets = "targets";
    public const string Snapshot = "snapshot";
    public const string Timestamp = "timestamp";

    public static readonly IReadOnlyList<string> TopLevel = [Root, Targets, Snapshot, Timestamp];
}
