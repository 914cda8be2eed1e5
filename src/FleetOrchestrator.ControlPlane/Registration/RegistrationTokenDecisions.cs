using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using FleetOrchestrator.Protocol.Decisions;

namespace FleetOrchestrator.ControlPlane.Registration;

/// <summary>The registration token singleton's decisions, pure; its state is the current <see cref="RegistrationTokenHash"/> (null before the first seed).</summary>
public static partial class RegistrationTokenDecisions
{
    /// <summary>The pub/sub topic gateways follow the token on.</summary>
    public const string Topic = "registration-token";

    /// <summary>The SHA-256 (lower-case hex) a token is held and compared as.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Adopted only when the cluster has no token yet: every node offers its own at start, the first one wins.</summary>
    public static Decision<RegistrationTokenWasSet> Decide(RegistrationTokenHash? current, SeedRegistrationToken seed, DateTimeOffset now) =>
        Decision<RegistrationTokenWasSet>.RefuseOr(Problem(seed.Sha256),
            () => current is null ? Decision<RegistrationTokenWasSet>.Accept(new RegistrationTokenWasSet(seed.Sha256, now)) : Decision<RegistrationTokenWasSet>.Unchanged);

    /// <summary>A new token; refused when it is the current one (a rotation that would change nothing is a mistake).</summary>
    public static Decision<RegistrationTokenWasSet> Decide(RegistrationTokenHash? current, RotateRegistrationToken rotate, DateTimeOffset now) =>
        Decision<RegistrationTokenWasSet>.RefuseOr(
            Problem(rotate.Sha256) ?? (current?.Sha256 == rotate.Sha256 ? "the new registration token is the current one" : null),
            () => Decision<RegistrationTokenWasSet>.Accept(new RegistrationTokenWasSet(rotate.Sha256, now)));

    public static RegistrationTokenHash Apply(RegistrationTokenWasSet e) => new(e.Sha256, e.At);

    private static string? Problem(string sha256) =>
        Sha256Pattern().IsMatch(sha256) ? null : "a registration token is held as its SHA-256: 64 lower-case hex digits";

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();
}
