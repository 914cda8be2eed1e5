using System.Collections.Immutable;
using FleetOrchestrator.Protocol;
using FleetOrchestrator.Protocol.Decisions;

namespace FleetOrchestrator.ControlPlane.Revocations;

/// <summary>
/// The devices every gateway refuses, pure: the certificates of revoked devices (by SHA-256 fingerprint, never removed:
/// a released name does not make its old certificate good again) and the names reserved by revocation. Held by
/// <see cref="DenyListActor"/> (the source every gateway loads) and by each gateway's copy; the same value is its
/// snapshot and the answer to <see cref="GetDenyList"/>.
/// </summary>
/// <param name="Revision">How many changes the list holds: a gateway's copy is current when its revision is the singleton's.</param>
public sealed record DenyList(long Revision, ImmutableHashSet<string> Names, ImmutableHashSet<string> Fingerprints) : IFleetMessage
{
    public static DenyList Empty { get; } = new(0, ImmutableHashSet.Create<string>(StringComparer.Ordinal), ImmutableHashSet.Create<string>(StringComparer.Ordinal));

    /// <summary>Whether a device presenting this name and certificate is refused.</summary>
    public bool Refuses(string name, string fingerprint) => Names.Contains(name) || Fingerprints.Contains(fingerprint);

    /// <summary>The change denying the device, or none when the list says so already.</summary>
    public Decision<DenyListChanged> Decide(DenyDevice command, DateTimeOffset now) => Decision<DenyListChanged>.RefuseOr(
        Protocol.Names.Device.Problem(command.DeviceId)
        ?? (command.CertificateSha256.Length != 64 || !command.CertificateSha256.All(Uri.IsHexDigit) || command.CertificateSha256.Any(char.IsUpper)
            ? $"\"{(command.CertificateSha256.Length > 70 ? command.CertificateSha256[..70] + "..." : command.CertificateSha256)}\" is not a SHA-256 fingerprint (64 lowercase hex digits)"
            : null),
        () => Fingerprints.Contains(command.CertificateSha256) && Names.Contains(command.DeviceId) == command.NameReserved
            ? Decision<DenyListChanged>.Unchanged
            : Decision<DenyListChanged>.Accept(new DenyListChanged(Revision + 1, command.DeviceId, command.CertificateSha256, command.NameReserved, now)));

    /// <summary>The list with <paramref name="change"/> applied; its revision becomes the change's.</summary>
    public DenyList Apply(DenyListChanged change) => new(change.Revision,
        change.NameReserved ? Names.Add(change.DeviceId) : Names.Remove(change.DeviceId),
        Fingerprints.Add(change.CertificateSha256));
}
