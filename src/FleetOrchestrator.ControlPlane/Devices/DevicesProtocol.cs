using FleetOrchestrator.Protocol;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.ControlPlane.Devices;

// ---- commands and replies ------------------------------------------------------------------------

/// <summary>Registers a device under its name, once: a second registration of the name is refused.</summary>
/// <param name="Group">Device group; null = no group.</param>
/// <param name="Apps">App selection; null = every app of the target, empty = none (REFERENCE <c>compose_apps</c>).</param>
public sealed record RegisterDevice(string DeviceId, string HardwareId, string Tag, string CertificateSha256, string? Group = null, IReadOnlyList<string>? Apps = null)
    : IWithDeviceId, IFleetMessage;

public sealed record DeviceRegistered(string DeviceId) : IWithDeviceId, IFleetMessage;

public sealed record DeviceRegistrationRefused(string DeviceId, string Reason) : IWithDeviceId, IFleetMessage;

/// <summary>A check-in at <see cref="At"/>. Persisted only once per last-seen resolution: a check-in that changes nothing persists nothing.</summary>
public sealed record DeviceSeen(string DeviceId, DateTimeOffset At) : IWithDeviceId, IFleetMessage;

/// <summary>A batch of update events from the device (already validated by the gateway); ids seen before are ignored.</summary>
public sealed record RecordDeviceEvents(string DeviceId, IReadOnlyList<DeviceEvent> Events, DateTimeOffset ReceivedAt) : IWithDeviceId, IFleetMessage;

/// <summary>Answer to <see cref="RecordDeviceEvents"/>: how many events were new and how many had been recorded before.</summary>
public sealed record DeviceEventsRecorded(string DeviceId, int Recorded, int Duplicates) : IWithDeviceId, IFleetMessage;

/// <summary>The device's app states (already validated by the gateway); persisted only when they differ from the last ones.</summary>
public sealed record RecordAppsStates(string DeviceId, AppsStatesReport Report, DateTimeOffset ReceivedAt) : IWithDeviceId, IFleetMessage;

/// <summary>The device's system facts; persisted only when they differ from the last ones.</summary>
public sealed record RecordSystemInfo(string DeviceId, SystemInfoReport Info, DateTimeOffset ReceivedAt) : IWithDeviceId, IFleetMessage;

/// <summary>Answer to <see cref="RecordAppsStates"/> and <see cref="RecordSystemInfo"/>; <see cref="Changed"/> = something was persisted.</summary>
public sealed record DeviceReportRecorded(string DeviceId, bool Changed) : IWithDeviceId, IFleetMessage;

/// <summary>A report for a device that is not registered; nothing was stored.</summary>
public sealed record DeviceReportRefused(string DeviceId, string Reason) : IWithDeviceId, IFleetMessage;

public sealed record GetDevice(string DeviceId) : IWithDeviceId, IFleetMessage;

/// <summary>A twin's answer to <see cref="GetDevice"/>: its whole state (<see cref="DeviceTwinState.Registration"/> null for an unknown device).</summary>
public sealed record DeviceView(string DeviceId, DeviceTwinState State) : IWithDeviceId, IFleetMessage;

// ---- persisted events (tagged for the fleet projection) and snapshot ---------------------------------

/// <summary>Every event a twin persists; <see cref="DeviceTwinTagger"/> tags them for the fleet projection.</summary>
public interface IDeviceTwinEvent : IWithDeviceId, IFleetMessage
{
    /// <summary>When the gateway received what caused the event: the device was seen then.</summary>
    DateTimeOffset At { get; }
}

/// <summary>What registration fixed for a device.</summary>
public sealed record DeviceRegistration(string HardwareId, string Tag, string CertificateSha256, DateTimeOffset RegisteredAt, string? Group = null, IReadOnlyList<string>? Apps = null);

public sealed record DeviceWasRegistered(string DeviceId, DeviceRegistration Registration) : IDeviceTwinEvent
{
    public DateTimeOffset At => Registration.RegisteredAt;
}

/// <summary>Update events not seen before, with the device status and current target they lead to (so the projection copies, never re-derives).</summary>
public sealed record DeviceEventsWereRecorded(string DeviceId, IReadOnlyList<DeviceEvent> Events, DateTimeOffset At, string Status, string? CurrentTarget) : IDeviceTwinEvent;

/// <summary>New app states, with the app health and current target they lead to.</summary>
public sealed record DeviceAppsStatesChanged(string DeviceId, AppsStatesReport Report, DateTimeOffset At, string AppHealth, string? CurrentTarget) : IDeviceTwinEvent;

public sealed record DeviceSystemInfoChanged(string DeviceId, SystemInfoReport Info, DateTimeOffset At) : IDeviceTwinEvent;

/// <summary>
/// A wave handed the device its view (or gave it back to production when <see cref="View"/> is null). Not a
/// contact with the device, so <see cref="At"/> is the earliest time and moves no last-seen.
/// </summary>
public sealed record DeviceViewWasAssigned(string DeviceId, string? View) : IDeviceTwinEvent
{
    public DateTimeOffset At => DateTimeOffset.MinValue;
}

/// <summary>Published on <see cref="DeviceTopics.Views"/> when a device's view changed, so gateways drop what they cached about it.</summary>
public sealed record DeviceViewChanged(string DeviceId, string? View) : IWithDeviceId, IFleetMessage;

public static class DeviceTopics
{
    public const string Views = "device-views";
}

/// <summary>Last seen moved by at least the resolution since it was last persisted.</summary>
public sealed record DeviceWasSeen(string DeviceId, DateTimeOffset At) : IDeviceTwinEvent;

/// <summary>A twin's whole state, saved every few events so recovery replays few events.</summary>
public sealed record DeviceTwinSnapshot(DeviceTwinState State) : IFleetMessage;
