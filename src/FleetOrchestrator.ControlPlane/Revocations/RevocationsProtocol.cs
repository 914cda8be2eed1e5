using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Revocations;

/// <summary>
/// From the command host once a twin revoked or deleted a device: deny its certificate on every gateway for good, and
/// its name while <see cref="NameReserved"/> (a released name may register a new device). Answered with
/// <see cref="DeviceDenied"/> or <see cref="Protocol.Decisions.Refused"/>.
/// </summary>
public sealed record DenyDevice(string DeviceId, string CertificateSha256, bool NameReserved) : IFleetMessage;

/// <summary>Answer to <see cref="DenyDevice"/>: the deny list's revision that holds it (published to the gateways).</summary>
public sealed record DeviceDenied(string DeviceId, long Revision) : IFleetMessage;

/// <summary>
/// One change of the deny list: persisted by the singleton and published on <see cref="RevocationTopics.DenyList"/>.
/// A gateway applies revision N+1 onto N; on a gap it loads the whole list again (pub/sub delivers at most once).
/// </summary>
public sealed record DenyListChanged(long Revision, string DeviceId, string CertificateSha256, bool NameReserved, DateTimeOffset At) : IFleetMessage;

/// <summary>Asks the singleton for the whole <see cref="DenyList"/> (a gateway starting, or one that missed a change).</summary>
public sealed record GetDenyList : IFleetMessage
{
    public static GetDenyList Instance { get; } = new();
}

public static class RevocationTopics
{
    public const string DenyList = "device-deny-list";
}
