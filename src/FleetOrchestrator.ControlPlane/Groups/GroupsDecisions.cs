using System.Collections.Immutable;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Protocol;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.ControlPlane.Groups;

/// <summary>
/// The decisions about a factory's device groups, pure: each operator command is decided here
/// (<see cref="Decision{TEvent}"/>), and <see cref="Apply"/> folds a persisted event in. Membership is the twins':
/// an add or remove is accepted with no group event, then each twin decides. <see cref="DeviceGroupsActor"/>
/// persists and talks to twins.
/// </summary>
public static class GroupsDecisions
{
    public const int MaxDescriptionLength = 256;
    /// <summary>Devices one add or remove may name.</summary>
    public const int MaxDevicesPerCall = 1000;

    public static ImmutableDictionary<string, DeviceGroup> Empty { get; } = ImmutableDictionary.Create<string, DeviceGroup>(StringComparer.Ordinal);

    public static Decision<IGroupEvent> Create(ImmutableDictionary<string, DeviceGroup> groups, CreateGroup command, DateTimeOffset now) => Decision<IGroupEvent>.RefuseOr(
        Names.Group.Problem(command.Group)
        ?? (command.Description is { Length: > MaxDescriptionLength } d ? $"the description has {d.Length} characters, over the limit of {MaxDescriptionLength}"
            : groups.ContainsKey(command.Group) ? $"group {command.Group} already exists"
            : null),
        () => Decision<IGroupEvent>.Accept(new GroupCreated(command.Group, command.Description, now)));

    /// <summary><paramref name="devices"/>: how many devices the fleet table lists in the group.</summary>
    public static Decision<IGroupEvent> Delete(ImmutableDictionary<string, DeviceGroup> groups, DeleteGroup command, long devices, DateTimeOffset now) => Decision<IGroupEvent>.RefuseOr(
        Unknown(groups, command.Group)
        ?? (devices > 0 ? $"group {command.Group} has {devices} device{(devices == 1 ? "" : "s")}; remove them first (pbm groups remove {command.Group} --device <device>)" : null),
        () => Decision<IGroupEvent>.Accept(new GroupDeleted(command.Group, now)));

    /// <summary>Accepted with no group event: each device's twin records its group.</summary>
    public static Decision<IGroupEvent> Add(ImmutableDictionary<string, DeviceGroup> groups, AddToGroup command) =>
        Decision<IGroupEvent>.RefuseOr(Unknown(groups, command.Group) ?? DevicesProblem(command.Devices), () => Decision<IGroupEvent>.Unchanged);

    /// <summary>Accepted with no group event, as <see cref="Add"/>. The group need not exist: devices may have registered with a group no operator created.</summary>
    public static Decision<IGroupEvent> Remove(RemoveFromGroup command) =>
        Decision<IGroupEvent>.RefuseOr(Names.Group.Problem(command.Group) ?? DevicesProblem(command.Devices), () => Decision<IGroupEvent>.Unchanged);

    public static Decision<IGroupEvent> Configure(ImmutableDictionary<string, DeviceGroup> groups, ConfigureGroup command, DateTimeOffset now) => Decision<IGroupEvent>.RefuseOr(
        Unknown(groups, command.Group) ?? command.Config.Problem,
        () => Decision<IGroupEvent>.Accept(new GroupConfigured(command.Group, command.Config, now)));

    public static ImmutableDictionary<string, DeviceGroup> Apply(ImmutableDictionary<string, DeviceGroup> groups, IGroupEvent e) => e switch
    {
        GroupCreated created => groups.SetItem(created.Group, new DeviceGroup(created.Group, created.Description, null, created.At)),
        GroupDeleted deleted => groups.Remove(deleted.Group),
        GroupConfigured configured => groups.SetItem(configured.Group, groups[configured.Group] with { Config = configured.Config }),
        _ => throw new ArgumentException($"unknown group event {e.GetType().Name}", nameof(e)),
    };

    private static string? Unknown(ImmutableDictionary<string, DeviceGroup> groups, string group) =>
        Names.Group.Problem(group) ?? (groups.ContainsKey(group) ? null : $"no group {group} (pbm groups create {group})");

    private static string? DevicesProblem(IReadOnlyList<string> devices) =>
        devices.Count == 0 ? "name at least one device (--device)"
        : devices.Count > MaxDevicesPerCall ? $"{devices.Count} devices named, over the limit of {MaxDevicesPerCall} per call"
        : devices.Select(d => Names.Device.Problem(d)).FirstOrDefault(p => p is not null) is { } bad ? bad
        : devices.Distinct(StringComparer.Ordinal).Count() != devices.Count ? $"device {devices.GroupBy(d => d, StringComparer.Ordinal).First(g => g.Count() > 1).Key} is named twice"
        : null;
}
