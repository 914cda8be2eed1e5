using FleetOrchestrator.Protocol.Decisions;

namespace FleetOrchestrator.ControlPlane.Devices;

/// <summary>The twin's decisions on certificate renewal (see <see cref="RenewDeviceCertificate"/>), pure.</summary>
public static class DeviceCertificates
{
    /// <summary>The pub/sub topic of <see cref="DeviceCertificateChanged"/>.</summary>
    public const string Topic = "device-certificates";

    /// <summary>A renewal from the device's current certificate; a renewal still unused is replaced (its answer was lost).</summary>
    public static Decision<IDeviceCertificateEvent> Decide(DeviceTwinState state, RenewDeviceCertificate command, DateTimeOffset now) =>
        Decision<IDeviceCertificateEvent>.RefuseOr(
            Unregistered(state, command.DeviceId)
            ?? (command.PresentedSha256 != state.Registration!.CertificateSha256 ? $"device \"{state.DeviceId}\" renews only with its current certificate" : null)
            ?? (command.NewSha256 == state.Registration.CertificateSha256 ? $"the new certificate of \"{state.DeviceId}\" is its current one" : null),
            () => Decision<IDeviceCertificateEvent>.Accept(new DeviceCertificateWasRenewed(state.DeviceId, command.NewSha256, now)));

    /// <summary>The renewed certificate becomes current; unchanged when it already is; refused for any other certificate.</summary>
    public static Decision<IDeviceCertificateEvent> Decide(DeviceTwinState state, ActivateDeviceCertificate command, DateTimeOffset now) =>
        Decision<IDeviceCertificateEvent>.RefuseOr(Unregistered(state, command.DeviceId), () =>
            command.CertificateSha256 == state.Registration!.CertificateSha256 ? Decision<IDeviceCertificateEvent>.Unchanged
            : command.CertificateSha256 == state.Registration.RenewedCertificateSha256
                ? Decision<IDeviceCertificateEvent>.Accept(new DeviceCertificateWasActivated(state.DeviceId, command.CertificateSha256, now))
                : Decision<IDeviceCertificateEvent>.Refuse($"certificate {command.CertificateSha256} is neither the current nor the renewed certificate of \"{state.DeviceId}\""));

    /// <summary>The registration after <paramref name="e"/>.</summary>
    public static DeviceRegistration Apply(DeviceRegistration registration, IDeviceCertificateEvent e) => e switch
    {
        DeviceCertificateWasRenewed => registration with { RenewedCertificateSha256 = e.CertificateSha256 },
        _ => registration with { CertificateSha256 = e.CertificateSha256, RenewedCertificateSha256 = null },
    };

    /// <summary>Whether the registration accepts <paramref name="sha256"/> as the device's certificate: its current or its renewed one.</summary>
    public static bool Holds(DeviceRegistration registration, string sha256) =>
        sha256 == registration.CertificateSha256 || sha256 == registration.RenewedCertificateSha256;

    private static string? Unregistered(DeviceTwinState state, string deviceId) =>
        deviceId != state.DeviceId ? $"command for device \"{deviceId}\" reached the twin of \"{state.DeviceId}\""
        : state.Registration is null ? $"device \"{state.DeviceId}\" is not registered"
        // The gateways' deny list refuses a revoked device first; the twin holds the line on its own too.
        : state.Revocation is { } revoked ? $"device \"{state.DeviceId}\" is revoked (since {revoked.At:u}, by {revoked.By}: {revoked.Reason}); it cannot renew"
        : null;
}
