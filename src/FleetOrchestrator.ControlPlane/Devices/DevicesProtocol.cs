using System.Text.Json.Serialization;
using FleetOrchestrator.Protocol;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.ControlPlane.Devices;

// ---- commands and replies ------------------------------------------------------------------------

// A refused command is answered with the shared Refused(Subject: device id, Reason): nothing was stored.

/// <summary>Registers a device under its name, once: a second registration of the name is refused.</summary>
/// <param name="Group">Device group; null = no group.</param>
/// <param name="Apps">App selection; null = every app of the target, empty = none (REFERENCE <c>compose_apps</c>).</param>
public sealed record RegisterDevice(string DeviceId, string HardwareId, string Tag, string CertificateSha256, string? Group = null, IReadOnlyList<string>? Apps = null)
    : IWithDeviceId, IFleetMessage;

public sealed record DeviceRegistered(string DeviceId) : IWithDeviceId, IFleetMessage;

/// <summary>A check-in at <see cref="At"/>. Persisted only once per last-seen resolution: a check-in that changes nothing persists nothing.</summary>
public sealed record DeviceSeen(string DeviceId, DateTimeOffset At) : IWithDeviceId, IFleetMessage;

/// <summary>A batch of update events from the device (already validated by the gateway); ids seen before are ignored.</summary>
public sealed record RecordDeviceEvents(string DeviceId, IReadOnlyList<DeviceEvent> Events, DateTimeOffset ReceivedAt) : IWithDeviceId, IFleetMessage;

/// <summary>Answer to <see cref="RecordDeviceEvents"/>: how many events were new and how many had been recorded before.</summary>
public sealed record DeviceEventsRecorded(string DeviceId, int Recorded, int Duplicates) : IWithDeviceId, IFleetMessage
{
    /// <summary>The answer to an accepted <paramref name="command"/>: the events it did not record were duplicates.</summary>
    public static DeviceEventsRecorded Of(RecordDeviceEvents command, Decision<DeviceEventsWereRecorded> decision)
    {
        var recorded = decision.Single?.Events.Count ?? 0;
        return new DeviceEventsRecorded(command.DeviceId, recorded, command.Events.Count - recorded);
    }
}

/// <summary>The device's app states (already validated by the gateway); persisted only when they differ from the last ones.</summary>
public sealed record RecordAppsStates(string DeviceId, AppsStatesReport Report, DateTimeOffset ReceivedAt) : IWithDeviceId, IFleetMessage;

/// <summary>The device's system facts; persisted only when they differ from the last ones.</summary>
public sealed record RecordSystemInfo(string DeviceId, SystemInfoReport Info, DateTimeOffset ReceivedAt) : IWithDeviceId, IFleetMessage;

/// <summary>Answer to <see cref="RecordAppsStates"/> and <see cref="RecordSystemInfo"/>; <see cref="Changed"/> = something was persisted.</summary>
public sealed record DeviceReportRecorded(string DeviceId, bool Changed) : IWithDeviceId, IFleetMessage;

/// <summary>What <see cref="ChangeDeviceGroup"/> does: join the group, leave it, or take its new config (only if still in it).</summary>
public enum GroupChange { Add, Remove, Configure }

/// <summary>
/// From the device groups singleton: the device joins <see cref="Group"/> (refused while it is in another), leaves it
/// (refused unless it is in it), or takes the group's new config. <see cref="GroupConfig"/> is the group's config (null: none).
/// Answered with <see cref="DeviceConfigured"/> or <see cref="Refused"/>.
/// </summary>
public sealed record ChangeDeviceGroup(string DeviceId, string Group, DeviceConfig? GroupConfig, GroupChange Change) : IWithDeviceId, IFleetMessage;

/// <summary>An operator sets the device's own config (over its group's); null drops it. Answered like <see cref="ChangeDeviceGroup"/>.</summary>
public sealed record ConfigureDevice(string DeviceId, DeviceConfig? Config) : IWithDeviceId, IFleetMessage;

/// <summary>Where the config a device follows comes from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeviceConfigSource>))]
public enum DeviceConfigSource { Registration, Group, Own }

/// <summary>
/// Answer to <see cref="ChangeDeviceGroup"/> and <see cref="ConfigureDevice"/>: the group and the config the device follows
/// now, and where that config comes from; <see cref="Changed"/> = something was persisted.
/// </summary>
public sealed record DeviceConfigured(string DeviceId, bool Changed, string? Group, DeviceConfig Config, DeviceConfigSource Source) : IWithDeviceId, IFleetMessage;

/// <summary>
/// Tells a device's twin which repository view its gateway serves it (a wave's, or production when <see cref="View"/> is
/// null); answered with <see cref="DeviceViewAnswered"/>. Sent by waves; a twin's command, so it is the twin's protocol.
/// </summary>
public sealed record AssignDeviceView(string DeviceId, string Tag, string? View) : IWithDeviceId, IFleetMessage;

/// <summary>
/// The twin's answer to <see cref="AssignDeviceView"/> once it is settled: persisted and published to the gateways,
/// unchanged, or refused (<see cref="Refusal"/>): the wave counts every answer, refused or not, to pace its views.
/// </summary>
public sealed record DeviceViewAnswered(string DeviceId, string Tag, string? View, string? Refusal = null) : IFleetMessage;

public sealed record GetDevice(string DeviceId) : IWithDeviceId, IFleetMessage;

/// <summary>
/// A twin's answer to <see cref="GetDevice"/>: what readers need (<c>pbm devices show|updates|apps-states</c>, the gateway
/// on a device's first request); <see cref="Registration"/> is null for an unknown device.
/// </summary>
/// <param name="Config">What the device follows: its own config, else its group's, else what it registered with.</param>
/// <param name="ServedView">The repository view the gateway serves it: the wave's it was handed, else production.</param>
/// <param name="Installs">The most recent update attempts, oldest first.</param>
/// <param name="Revocation">Set once the device is revoked; <paramref name="Deletion"/> once it is deleted.</param>
public sealed record DeviceDetails(
    string DeviceId,
    DeviceRegistration? Registration,
    string? Group,
    DeviceConfig? Config,
    DeviceConfig? OwnConfig,
    DeviceConfig? GroupConfig,
    string? ServedView,
    string? CurrentTarget,
    string Status,
    string AppHealth,
    DateTimeOffset? LastSeen,
    IReadOnlyList<InstallAttempt> Installs,
    AppsStatesReport? Apps,
    SystemInfoReport? SystemInfo,
    DeviceRevocation? Revocation = null,
    DeviceDeletion? Deletion = null) : IWithDeviceId, IFleetMessage;

// ---- persisted events (tagged for the fleet projection) and snapshot ---------------------------------

/// <summary>Every event a twin persists; <see cref="DeviceTwinTagger"/> tags them for the fleet projection.</summary>
public interface IDeviceTwinEvent : IWithDeviceId, IFleetMessage
{
    /// <summary>When the gateway received what caused the event: the device was seen then.</summary>
    DateTimeOffset At { get; }
}

/// <summary>What registration fixed for a device.</summary>
/// <param name="CertificateSha256">The device's current certificate (renewal replaces it: <see cref="DeviceCertificates"/>).</param>
/// <param name="RenewedCertificateSha256">A certificate issued by renewal that the device has not used yet.</param>
public sealed record DeviceRegistration(string HardwareId, string Tag, string CertificateSha256, DateTimeOffset RegisteredAt, string? Group = null, IReadOnlyList<string>? Apps = null,
    string? RenewedCertificateSha256 = null);

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

// ---- revocation and deletion (pbm devices revoke|delete) ----------------------------------------------

/// <summary>
/// An operator revokes the device: its certificate and name are refused by every gateway from now on. Answered with
/// <see cref="DeviceRevocationAnswered"/>; revoking a revoked device changes nothing (the first revocation stays).
/// </summary>
/// <param name="By">Who revoked it: the operator's name, or their role when the session has no name.</param>
public sealed record RevokeDevice(string DeviceId, string Reason, string By) : IWithDeviceId, IFleetMessage;

/// <summary>
/// An operator deletes the device: revoked (if it was not), and gone from the fleet table, so from its group and its
/// waves. Its name stays reserved unless <see cref="ReleaseName"/>; a later delete can still release it.
/// </summary>
public sealed record DeleteDevice(string DeviceId, string Reason, string By, bool ReleaseName) : IWithDeviceId, IFleetMessage;

/// <summary>
/// Answer to <see cref="RevokeDevice"/> and <see cref="DeleteDevice"/>: the revocation (with the certificate it
/// deny-lists), the deletion if any, and whether anything was persisted.
/// </summary>
public sealed record DeviceRevocationAnswered(string DeviceId, DeviceRevocation Revocation, DeviceDeletion? Deletion, bool Changed) : IWithDeviceId, IFleetMessage
{
    /// <summary>The name stays refused by the gateways: it was not released.</summary>
    public bool NameReserved => Deletion is not { NameReleased: true };
}

/// <summary>Why, by whom and when a device was revoked, and the certificate that was current then (deny-listed for good).</summary>
public sealed record DeviceRevocation(string Reason, string By, DateTimeOffset At, string CertificateSha256);

/// <summary>When and by whom a device was deleted; <see cref="NameReleased"/>: a new device may register with its name.</summary>
public sealed record DeviceDeletion(string By, DateTimeOffset At, bool NameReleased);

/// <summary>The device was revoked. Not a contact with the device (see <see cref="DeviceViewWasAssigned"/>).</summary>
public sealed record DeviceWasRevoked(string DeviceId, DeviceRevocation Revocation) : IDeviceTwinEvent
{
    public DateTimeOffset At => DateTimeOffset.MinValue;
}

/// <summary>The (revoked) device was deleted: the fleet table drops its row. Not a contact with the device.</summary>
public sealed record DeviceWasDeleted(string DeviceId, DeviceDeletion Deletion) : IDeviceTwinEvent
{
    public DateTimeOffset At => DateTimeOffset.MinValue;
}
