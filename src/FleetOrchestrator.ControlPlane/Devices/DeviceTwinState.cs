using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Devices;

/// <summary>One update attempt of a device, folded from its events (REFERENCE event types) by correlation id.</summary>
/// <param name="LastEventType">The furthest event type reached, in the order a successful update sends them.</param>
/// <param name="Success">Of the furthest Completed event, when there is one.</param>
/// <param name="EventIds">Ids of the events folded in: a resent event is recognised and ignored.</param>
public sealed record InstallAttempt(
    string CorrelationId,
    string TargetName,
    string Version,
    string LastEventType,
    bool? Success,
    string? Details,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<string> EventIds);

/// <summary>The status column of the fleet table, derived from the latest update attempt.</summary>
public static class DeviceStatuses
{
    public const string Registered = "registered";
    public const string Updating = "updating";
    public const string Installed = "installed";
    public const string DownloadFailed = "download-failed";
    public const string InstallFailed = "install-failed";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal) { Registered, Updating, Installed, DownloadFailed, InstallFailed };
}

/// <summary>The app health column of the fleet table, derived from the last app states.</summary>
public static class AppHealth
{
    public const string Unknown = "unknown";
    public const string None = "none";
    public const string Healthy = "healthy";
    public const string Starting = "starting";
    public const string Unhealthy = "unhealthy";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal) { Unknown, None, Healthy, Starting, Unhealthy };

    /// <summary>Worst state wins: any unhealthy or stopped app makes the device unhealthy.</summary>
    public static string Of(AppsStatesReport report) =>
        report.Apps.Count == 0 ? None
        : report.Apps.Values.Any(a => a.State is AppStates.Unhealthy or AppStates.Stopped) ? Unhealthy
        : report.Apps.Values.Any(a => a.State == AppStates.Starting) ? Starting
        : Healthy;
}

/// <summary>
/// One device's twin state and the decisions on it, without actors. Decisions return a <see cref="Decision{TEvent}"/>:
/// the event to persist, none when nothing changes, or the refusal; <see cref="Apply"/> folds a persisted event in, in
/// recovery as in live use. Readers get <see cref="Details"/>, never the state.
/// </summary>
/// <param name="Installs">The most recent update attempts, oldest first, at most <see cref="MaxInstallHistory"/> (the journal keeps all).</param>
/// <param name="LastSeen">Latest contact; in memory between persisted events.</param>
/// <param name="SeenPersistedAt">Latest contact that was persisted (by any event).</param>
/// <param name="Group">The device's group: the registration's until an operator moves it.</param>
/// <param name="GroupConfig">Its group's config as the groups singleton last told it (null: the group has none).</param>
/// <param name="OwnConfig">Set for this device by an operator; wins over the group's.</param>
/// <param name="Revocation">Set once an operator revoked the device: it reports nothing more and its name is not registered again.</param>
/// <param name="Deletion">Set once an operator deleted the device; a registration of a released name starts a new twin state.</param>
public sealed record DeviceTwinState(
    string DeviceId,
    DeviceRegistration? Registration,
    string? CurrentTarget,
    IReadOnlyList<InstallAttempt> Installs,
    AppsStatesReport? Apps,
    SystemInfoReport? SystemInfo,
    DateTimeOffset? LastSeen,
    DateTimeOffset? SeenPersistedAt,
    string? View = null,
    string? Group = null,
    DeviceConfig? GroupConfig = null,
    DeviceConfig? OwnConfig = null,
    DeviceRevocation? Revocation = null,
    DeviceDeletion? Deletion = null)
{
    public const int MaxInstallHistory = 20;

    private static readonly IReadOnlyDictionary<string, int> EventRank = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        [DeviceEventTypes.DownloadStarted] = 0,
        [DeviceEventTypes.DownloadCompleted] = 1,
        [DeviceEventTypes.InstallationStarted] = 2,
        [DeviceEventTypes.InstallationApplied] = 3,
        [DeviceEventTypes.InstallationCompleted] = 4,
    };

    public static DeviceTwinState Empty(string deviceId) => new(deviceId, null, null, [], null, null, null, null);

    /// <summary>The repository view the gateway serves this device: the wave's it was handed, else the production view of its tag.</summary>
    public string? ServedView() => Registration is null ? null : View ?? TufRepository.ProductionView;

    /// <summary>What the device follows: its own config, else its group's, else what it registered with (null before registration).</summary>
    public DeviceConfig? Config() => Registration is null ? null : Effective(GroupConfig, OwnConfig);

    /// <summary>The config an operator set for the device (its own, else its group's); null: it follows what it registered with.</summary>
    public DeviceConfig? OperatorConfig() => OwnConfig ?? GroupConfig;

    private DeviceConfig Effective(DeviceConfig? groupConfig, DeviceConfig? ownConfig) =>
        ownConfig ?? groupConfig ?? new DeviceConfig(Registration!.Tag, Registration.Apps);

    public string Status()
    {
        if (Installs.Count == 0) return CurrentTarget is null ? DeviceStatuses.Registered : DeviceStatuses.Installed;
        var latest = Installs[^1];
        return (latest.LastEventType, latest.Success) switch
        {
            (DeviceEventTypes.InstallationCompleted, true) => DeviceStatuses.Installed,
            (DeviceEventTypes.InstallationCompleted, _) => DeviceStatuses.InstallFailed,
            (DeviceEventTypes.DownloadCompleted, false) => DeviceStatuses.DownloadFailed,
            _ => DeviceStatuses.Updating,
        };
    }

    public string AppHealthNow() => Apps is null ? AppHealth.Unknown : AppHealth.Of(Apps);

    /// <summary>Where <see cref="Config"/> comes from.</summary>
    public DeviceConfigSource ConfigSource() =>
        OwnConfig is not null ? DeviceConfigSource.Own : GroupConfig is not null ? DeviceConfigSource.Group : DeviceConfigSource.Registration;

    /// <summary>The answer to <see cref="GetDevice"/>: what readers need of the state.</summary>
    public DeviceDetails Details() =>
        new(DeviceId, Registration, Group, Config(), OwnConfig, GroupConfig, ServedView(), CurrentTarget, Status(), AppHealthNow(), LastSeen, Installs, Apps, SystemInfo, Revocation, Deletion);

    // ---- decisions ---------------------------------------------------------------------------------

    /// <summary>The event registering the device, or the reason it is refused.</summary>
    public Decision<DeviceWasRegistered> Decide(RegisterDevice command, DateTimeOffset now)
    {
        if (command.DeviceId != DeviceId)
            return Decision<DeviceWasRegistered>.Refuse($"command for device \"{command.DeviceId}\" reached the twin of \"{DeviceId}\"");
        if (Deletion is not { NameReleased: true } && Revocation is { } revoked)
            return Decision<DeviceWasRegistered>.Refuse(DeviceRevocationDecisions.NameRevoked(DeviceId, revoked));
        if (Registration is { } existing && Deletion is null)
            return Decision<DeviceWasRegistered>.Refuse($"a device named \"{DeviceId}\" is already registered (since {existing.RegisteredAt:u})");
        return Decision<DeviceWasRegistered>.Accept(
            new DeviceWasRegistered(DeviceId, new DeviceRegistration(command.HardwareId, command.Tag, command.CertificateSha256, now, command.Group, command.Apps)));
    }

    /// <summary>The device revoked, with the certificate it holds now; unchanged when it is revoked already (the first revocation stays).</summary>
    public Decision<IDeviceTwinEvent> Decide(RevokeDevice command, DateTimeOffset now) => Decision<IDeviceTwinEvent>.RefuseOr(
        DeviceRevocationDecisions.Problem(this, command.DeviceId, command.Reason),
        () => Revocation is not null ? Decision<IDeviceTwinEvent>.Unchanged : Decision<IDeviceTwinEvent>.Accept(Revoked(command.Reason, command.By, now)));

    /// <summary>
    /// The device revoked (unless it is already) and deleted; a deleted device's name can still be released. Unchanged
    /// when it is deleted already and nothing more is released.
    /// </summary>
    public Decision<IDeviceTwinEvent> Decide(DeleteDevice command, DateTimeOffset now) => Decision<IDeviceTwinEvent>.RefuseOr(
        DeviceRevocationDecisions.Problem(this, command.DeviceId, command.Reason),
        () =>
        {
            if (Deletion is { } deleted)
                return command.ReleaseName && !deleted.NameReleased
                    ? Decision<IDeviceTwinEvent>.Accept(new DeviceWasDeleted(DeviceId, new DeviceDeletion(command.By, now, NameReleased: true)))
                    : Decision<IDeviceTwinEvent>.Unchanged;
            var deletion = new DeviceWasDeleted(DeviceId, new DeviceDeletion(command.By, now, command.ReleaseName));
            return Decision<IDeviceTwinEvent>.Accept(Revocation is null ? [Revoked(command.Reason, command.By, now), deletion] : [deletion]);
        });

    private DeviceWasRevoked Revoked(string reason, string by, DateTimeOffset now) =>
        new(DeviceId, new DeviceRevocation(reason, by, now, Registration!.CertificateSha256));

    /// <summary>
    /// The events not recorded before (ids already folded in, or repeated in the batch, are duplicates: see
    /// <see cref="DeviceEventsRecorded.Of"/>); unchanged when all are duplicates.
    /// </summary>
    public Decision<DeviceEventsWereRecorded> Decide(RecordDeviceEvents command) => Decision<DeviceEventsWereRecorded>.RefuseOr(
        ReportRefusal(command.DeviceId)
        ?? (command.Events.FirstOrDefault(e => !EventRank.ContainsKey(e.EventType.Id)) is { } unknown ? $"event {unknown.Id} has the unknown type \"{unknown.EventType.Id}\"" : null),
        () =>
        {
            var known = Installs.SelectMany(i => i.EventIds).ToHashSet(StringComparer.Ordinal);
            var fresh = command.Events.Where(e => known.Add(e.Id)).ToList();
            if (fresh.Count == 0) return Decision<DeviceEventsWereRecorded>.Unchanged;
            var after = Fold(fresh);
            return Decision<DeviceEventsWereRecorded>.Accept(new DeviceEventsWereRecorded(DeviceId, fresh, command.ReceivedAt, after.Status(), after.CurrentTarget));
        });

    /// <summary>The new app states; unchanged when they equal the last ones (the device time aside).</summary>
    public Decision<DeviceAppsStatesChanged> Decide(RecordAppsStates command) => Decision<DeviceAppsStatesChanged>.RefuseOr(ReportRefusal(command.DeviceId),
        () => Apps is { } last && SameApps(last, command.Report) ? Decision<DeviceAppsStatesChanged>.Unchanged
            : Decision<DeviceAppsStatesChanged>.Accept(new DeviceAppsStatesChanged(DeviceId, command.Report, command.ReceivedAt, AppHealth.Of(command.Report), command.Report.TargetName ?? CurrentTarget)));

    public Decision<DeviceSystemInfoChanged> Decide(RecordSystemInfo command) => Decision<DeviceSystemInfoChanged>.RefuseOr(ReportRefusal(command.DeviceId),
        () => SystemInfo == command.Info ? Decision<DeviceSystemInfoChanged>.Unchanged
            : Decision<DeviceSystemInfoChanged>.Accept(new DeviceSystemInfoChanged(DeviceId, command.Info, command.ReceivedAt)));

    /// <summary>The event handing the device a wave's view (null: production again); unchanged when it already has it.</summary>
    public Decision<DeviceViewWasAssigned> Decide(AssignDeviceView command) => Decision<DeviceViewWasAssigned>.RefuseOr(
        ReportRefusal(command.DeviceId) ?? (Config()!.Tag != command.Tag ? $"device \"{DeviceId}\" has tag {Config()!.Tag}, not {command.Tag}" : null),
        () => View == command.View ? Decision<DeviceViewWasAssigned>.Unchanged : Decision<DeviceViewWasAssigned>.Accept(new DeviceViewWasAssigned(DeviceId, command.View)));

    /// <summary>The device joining or leaving a group, or taking its group's new config; unchanged when nothing changes.</summary>
    public Decision<DeviceConfigChanged> Decide(ChangeDeviceGroup command) => Decision<DeviceConfigChanged>.RefuseOr(
        ReportRefusal(command.DeviceId) ?? command.GroupConfig?.Problem ?? MembershipRefusal(DeviceId, Group, command.Change, command.Group),
        () => command.Change switch
        {
            GroupChange.Add => Changed(command.Group, command.GroupConfig, OwnConfig),
            GroupChange.Remove => Changed(null, null, OwnConfig),
            // It left the group since the singleton listed it: the config is not its any more.
            _ when Group != command.Group => Decision<DeviceConfigChanged>.Unchanged,
            _ => Changed(Group, command.GroupConfig, OwnConfig),
        });

    /// <summary>Why a device in <paramref name="current"/> cannot make the change (a device belongs to one group at most); null when it can.</summary>
    public static string? MembershipRefusal(string deviceId, string? current, GroupChange change, string group) => change switch
    {
        GroupChange.Add when current is { } other && other != group => $"device {deviceId} is in group {other}; a device belongs to one group: remove it from {other} first",
        GroupChange.Remove when current != group => $"device {deviceId} is not in group {group} ({(current is null ? "it has no group" : $"its group is {current}")})",
        _ => null,
    };

    /// <summary>The device's own config set (or dropped with null); unchanged when nothing changes.</summary>
    public Decision<DeviceConfigChanged> Decide(ConfigureDevice command) => Decision<DeviceConfigChanged>.RefuseOr(
        ReportRefusal(command.DeviceId) ?? command.Config?.Problem, () => Changed(Group, GroupConfig, command.Config));

    private Decision<DeviceConfigChanged> Changed(string? group, DeviceConfig? groupConfig, DeviceConfig? ownConfig) =>
        group == Group && Equals(groupConfig, GroupConfig) && Equals(ownConfig, OwnConfig) ? Decision<DeviceConfigChanged>.Unchanged
        : Decision<DeviceConfigChanged>.Accept(new DeviceConfigChanged(DeviceId, group, groupConfig, ownConfig, Effective(groupConfig, ownConfig)));

    /// <summary>
    /// A check-in: last seen moves forward in memory (reports can arrive out of order), and is persisted only
    /// when it moved by at least <paramref name="resolution"/> since the last persisted contact.
    /// </summary>
    public (DeviceTwinState State, DeviceWasSeen? Event) Seen(DateTimeOffset at, TimeSpan resolution)
    {
        if (Registration is null || Revocation is not null) return (this, null);
        var state = LastSeen is { } last && last >= at ? this : this with { LastSeen = at };
        var persist = SeenPersistedAt is not { } persisted || at - persisted >= resolution;
        return (state, persist ? new DeviceWasSeen(DeviceId, at) : null);
    }

    // ---- applying persisted events -------------------------------------------------------------------

    public DeviceTwinState Apply(IDeviceTwinEvent e)
    {
        var state = e switch
        {
            // A released name registers a new device: nothing of the deleted one carries over.
            DeviceWasRegistered registered => (Deletion is null ? this : Empty(DeviceId)) with { Registration = registered.Registration, Group = registered.Registration.Group },
            DeviceWasRevoked revoked => this with { Revocation = revoked.Revocation },
            DeviceWasDeleted deleted => this with { Deletion = deleted.Deletion },
            DeviceEventsWereRecorded recorded => Fold(recorded.Events),
            DeviceAppsStatesChanged apps => this with { Apps = apps.Report, CurrentTarget = apps.CurrentTarget },
            DeviceSystemInfoChanged info => this with { SystemInfo = info.Info },
            DeviceWasSeen => this,
            DeviceViewWasAssigned assigned => this with { View = assigned.View },
            IDeviceCertificateEvent certificate => this with { Registration = DeviceCertificates.Apply(Registration!, certificate) },
            // A wave's view belongs to one tag: a new tag starts from its production view.
            DeviceConfigChanged changed => this with
            {
                Group = changed.Group, GroupConfig = changed.GroupConfig, OwnConfig = changed.OwnConfig,
                View = changed.Config.Tag == Config()!.Tag ? View : null,
            },
            _ => throw new ArgumentException($"a device twin has no use for {e.GetType().Name}", nameof(e)),
        };
        return state with
        {
            LastSeen = Later(state.LastSeen, e.At),
            SeenPersistedAt = Later(state.SeenPersistedAt, e.At),
        };
    }

    private string? ReportRefusal(string deviceId) =>
        deviceId != DeviceId ? $"report for device \"{deviceId}\" reached the twin of \"{DeviceId}\""
        : Registration is null ? $"device \"{DeviceId}\" is not registered"
        : Revocation is { } revoked ? $"device \"{DeviceId}\" is revoked (since {revoked.At:u}): it reports and changes nothing"
        : null;

    /// <summary>Folds update events into the attempts of their correlation ids; a successful installation sets the current target.</summary>
    private DeviceTwinState Fold(IEnumerable<DeviceEvent> events)
    {
        var installs = Installs.ToList();
        var current = CurrentTarget;
        foreach (var e in events)
        {
            var body = e.Event;
            var index = installs.FindIndex(i => i.CorrelationId == body.CorrelationId);
            if (index < 0)
            {
                installs.Add(new InstallAttempt(body.CorrelationId, body.TargetName, body.Version, e.EventType.Id, body.Success, body.Details, e.DeviceTime, e.DeviceTime, [e.Id]));
                if (installs.Count > MaxInstallHistory) installs.RemoveAt(0);
                index = installs.Count - 1;
            }
            else
            {
                var attempt = installs[index];
                var further = EventRank[e.EventType.Id] >= EventRank[attempt.LastEventType];
                installs[index] = attempt with
                {
                    LastEventType = further ? e.EventType.Id : attempt.LastEventType,
                    Success = further ? body.Success : attempt.Success,
                    Details = further ? body.Details : attempt.Details,
                    StartedAt = e.DeviceTime < attempt.StartedAt ? e.DeviceTime : attempt.StartedAt,
                    UpdatedAt = e.DeviceTime > attempt.UpdatedAt ? e.DeviceTime : attempt.UpdatedAt,
                    EventIds = [.. attempt.EventIds, e.Id],
                };
            }
            if (e.EventType.Id == DeviceEventTypes.InstallationCompleted && body.Success == true) current = body.TargetName;
        }
        return this with { Installs = installs, CurrentTarget = current };
    }

    private static bool SameApps(AppsStatesReport a, AppsStatesReport b) =>
        a.TargetName == b.TargetName
        && a.Apps.Count == b.Apps.Count
        && a.Apps.All(app => b.Apps.TryGetValue(app.Key, out var other)
            && app.Value.Uri == other.Uri && app.Value.State == other.State
            && app.Value.Services.Count == other.Services.Count
            && app.Value.Services.All(s => other.Services.TryGetValue(s.Key, out var reason) && reason == s.Value));

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x >= b ? x : b;
}
