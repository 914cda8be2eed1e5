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

/// <summary>Answer to <see cref="RecordAppsStates"/>, <see cref="RecordSystemInfo"/>, <see cref="ChangeDeviceGroup"/> and <see cref="ConfigureDevice"/>; <see cref="Changed"/> = something was persisted.</summary>
public sealed record DeviceReportRecorded(string DeviceId, bool Changed) : IWithDeviceId, IFleetMessage;

/// <summary>A report or change refused (the device is not registered, or the change does not apply); nothing was stored.</summary>
public sealed record DeviceReportRefused(string DeviceId, string Reason) : IWithDeviceId, IFleetMessage;

/// <summary>What <see cref="ChangeDeviceGroup"/> does: join the group, leave it, or take its new config (only if still in it).</summary>
public enum GroupChange { Add, Remove, Configure }

/// <summary>
/// From the device groups singleton: the device joins <see cref="Group"/> (refused while it is in another), leaves it
/// (refused unless it is in it), or takes the group's new config. <see cref="GroupConfig"/> is the group's config (null: none).
/// Answered with <see cref="DeviceReportRecorded"/> or <see cref="DeviceReportRefused"/>.
/// </summary>
public sealed record ChangeDeviceGroup(string DeviceId, string Group, DeviceConfig? GroupConfig, GroupChange Change) : IWithDeviceId, IFleetMessage;

/// <summary>An operator sets the device's own config (over its group's); null drops it. Answered like <see cref="ChangeDeviceGroup"/>.</summary>
public sealed record ConfigureDevice(string DeviceId, DeviceConfig? Config) : IWithDeviceId, IFleetMessage;

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

/// <summary>
/// The device's group or config changed (an operator's <c>groups add|remove|config</c> or <c>devices config</c>), with
/// the config that results (<see cref="Config"/>: own, else group's, else registered) for the fleet table. A tag change
/// gives the device the production view of its new tag. Not a contact with the device (see <see cref="DeviceViewWasAssigned"/>).
/// </summary>
public sealed record DeviceConfigChanged(string DeviceId, string? Group, DeviceConfig? GroupConfig, DeviceConfig? OwnConfig, DeviceConfig Config) : IDeviceTwinEvent
{
    public DateTimeOffset At => DateTimeOffset.MinValue;
}

/// <summary>
/// Published on <see cref="DeviceTopics.Views"/> when what the gateway serves a device changed — its view (waves) or
/// the config an operator set for it (<see cref="DeviceTwinState.OperatorConfig"/>; null: none, it follows its
/// registration) — so gateways serve the new one without asking the twin.
/// </summary>
public sealed record DeviceViewChanged(string DeviceId, string? View, DeviceConfig? Config) : IWithDeviceId, IFleetMessage;

public static class DeviceTopics
{
    public const string Views = "device-views";
}

/// <summary>Last seen moved by at least the resolution since it was last persisted.</summary>
public sealed record DeviceWasSeen(string DeviceId, DateTimeOffset At) : IDeviceTwinEvent;

/// <summary>A twin's whole state, saved every few events so recovery replays few events.</summary>
public sealed record DeviceTwinSnapshot(DeviceTwinState State) : IFleetMessage;
