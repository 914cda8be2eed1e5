using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Devices;

// Certificate renewal: the gateway issues a new certificate to an authenticated device, the twin records it as the
// device's renewed certificate, and the device's first request with it makes it the current one, after which the
// replaced certificate is refused. Until then both work: a device that never received the answer (lost, or it
// crashed) keeps its old certificate and renews again.

/// <summary>
/// The gateway issued <see cref="NewSha256"/> to the device presenting <see cref="PresentedSha256"/> (its current
/// certificate). Answered with <see cref="DeviceCertificateAnswered"/> once persisted, or <c>Refused</c>.
/// </summary>
public sealed record RenewDeviceCertificate(string DeviceId, string PresentedSha256, string NewSha256) : IWithDeviceId, IFleetMessage;

/// <summary>The device presented its renewed certificate: it becomes the current one. Answered like <see cref="RenewDeviceCertificate"/>.</summary>
public sealed record ActivateDeviceCertificate(string DeviceId, string CertificateSha256) : IWithDeviceId, IFleetMessage;

/// <summary>The registration after a renewal or an activation: its current and renewed certificates.</summary>
public sealed record DeviceCertificateAnswered(string DeviceId, DeviceRegistration Registration) : IWithDeviceId, IFleetMessage;

/// <summary>A twin event about the device's certificates.</summary>
public interface IDeviceCertificateEvent : IDeviceTwinEvent
{
    string CertificateSha256 { get; }
}

/// <summary>A new certificate was issued to the device; the current one stays valid until the device uses the new one.</summary>
public sealed record DeviceCertificateWasRenewed(string DeviceId, string CertificateSha256, DateTimeOffset At) : IDeviceCertificateEvent;

/// <summary>The device used its renewed certificate: it is the current one, and the one it replaced is refused from now on.</summary>
public sealed record DeviceCertificateWasActivated(string DeviceId, string CertificateSha256, DateTimeOffset At) : IDeviceCertificateEvent;

/// <summary>Published on <see cref="DeviceCertificates.Topic"/> after either event, so every gateway's cache follows at once.</summary>
public sealed record DeviceCertificateChanged(string DeviceId, DeviceRegistration Registration) : IWithDeviceId, IFleetMessage;
