using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Devices;

// ---- commands and replies ------------------------------------------------------------------------

/// <summary>Registers a device under its name, once: a second registration of the name is refused.</summary>
public sealed record RegisterDevice(string DeviceId, string HardwareId, string Tag, string CertificateSha256) : IWithDeviceId, IFleetMessage;

public sealed record DeviceRegistered(string DeviceId) : IWithDeviceId, IFleetMessage;

public sealed record DeviceRegistrationRefused(string DeviceId, string Reason) : IWithDeviceId, IFleetMessage;

/// <summary>The device was heard from at <see cref="At"/> (kept in memory: a check-in that changes nothing persists nothing).</summary>
public sealed record DeviceSeen(string DeviceId, DateTimeOffset At) : IWithDeviceId, IFleetMessage;

public sealed record GetDevice(string DeviceId) : IWithDeviceId, IFleetMessage;

/// <summary>A twin's answer to <see cref="GetDevice"/>; <see cref="Registration"/> is null for an unknown device.</summary>
public sealed record DeviceView(string DeviceId, DeviceRegistration? Registration, DateTimeOffset? LastSeen) : IWithDeviceId, IFleetMessage;

// ---- persisted events ----------------------------------------------------------------------------

/// <summary>What registration fixed for a device.</summary>
public sealed record DeviceRegistration(string HardwareId, string Tag, string CertificateSha256, DateTimeOffset RegisteredAt);

public sealed record DeviceWasRegistered(string DeviceId, DeviceRegistration Registration) : IWithDeviceId, IFleetMessage;
