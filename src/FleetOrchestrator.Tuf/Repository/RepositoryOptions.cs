using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Repository;

/// <summary>How many keys a top-level role gets at creation and how many of them must sign.</summary>
public sealed record RoleKeySpec(int KeyCount = 1, int Threshold = 1);

/// <summary>
/// Repository settings. Lifetimes: root 365 d (offline, rotated by operators), targets 90 d, snapshot 7 d,
/// timestamp 1 d. <see cref="TufRepository.RefreshExpiring"/> re-signs a role once less than
/// <see cref="RefreshWhenRemaining"/> of its lifetime is left (default half: the timestamp is renewed after 12 h).
/// </summary>
public sealed record RepositoryOptions
{
    public TimeSpan RootLifetime { get; init; } = TimeSpan.FromDays(365);
    public TimeSpan TargetsLifetime { get; init; } = TimeSpan.FromDays(90);
    public TimeSpan SnapshotLifetime { get; init; } = TimeSpan.FromDays(7);
    public TimeSpan TimestampLifetime { get; init; } = TimeSpan.FromDays(1);
    public double RefreshWhenRemaining { get; init; } = 0.5;

    /// <summary>Scheme of the keys <see cref="TufRepository.Create"/> generates.</summary>
    public string Scheme { get; init; } = KeyScheme.Default;

    /// <summary>Key count and threshold per top-level role at creation; roles not listed get one key, threshold 1.</summary>
    public IReadOnlyDictionary<string, RoleKeySpec> Roles { get; init; } = new Dictionary<string, RoleKeySpec>();

    public RoleKeySpec SpecOf(string role) => Roles.TryGetValue(role, out var spec) ? spec : new RoleKeySpec();

    public TimeSpan LifetimeOf(string role) => role switch
    {
        Role.Root => RootLifetime,
        Role.Targets => TargetsLifetime,
        Role.Snapshot => SnapshotLifetime,
        Role.Timestamp => TimestampLifetime,
        _ => throw new ArgumentException($"no lifetime for role \"{role}\"", nameof(role)),
    };
}
