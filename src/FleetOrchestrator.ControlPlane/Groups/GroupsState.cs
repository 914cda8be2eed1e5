using System.Collections.Immutable;
using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Groups;

/// <summary>
/// The device groups of a factory and the checks on operator commands, pure: each check returns null when the command
/// may go ahead, else the exact reason; <see cref="Apply"/> folds a persisted event in. <see cref="DeviceGroupsActor"/>
/// persists and talks to twins.
/// </summary>
public static class GroupsState
{
    public const int MaxDescriptionLength = 256;
    /// <summary>Devices one add or remove may name.</summary>
    public const int MaxDevicesPerCall = 1000;

    public static ImmutableDictionary<string, DeviceGroup> Empty { get; } = ImmutableDictionary.Create<string, DeviceGroup>(StringComparer.Ordinal);

    public static string? CheckCreate(ImmutableDictionary<string, DeviceGroup> groups, CreateGroup command) =>
        NameProblem(command.Group)
        ?? (command.Description is { Length: > MaxDescriptionLength } d ? $"the description has {d.Length} characters, over the limit of {MaxDescriptionLength}"
            : groups.ContainsKey(command.Group) ? $"group {command.Group} already exists"
            : null);

    /// <summary><paramref name="devices"/>: how many devices the fleet table lists in the group.</summary>
    public static string? CheckDelete(ImmutableDictionary<string, DeviceGroup> groups, DeleteGroup command, long devices) =>
        Unknown(groups, command.Group)
        ?? (devices > 0 ? $"group {command.Group} has {devices} device{(devices == 1 ? "" : "s")}; remove them first (pbm groups remove {command.Group} --device <device>)" : null);

    public static string? CheckAdd(ImmutableDictionary<string, DeviceGroup> groups, AddToGroup command) =>
        Unknown(groups, command.Group) ?? DevicesProblem(command.Devices);

    /// <summary>The group need not exist: devices may have registered with a group no operator created.</summary>
    public static string? CheckRemove(RemoveFromGroup command) => NameProblem(command.Group) ?? DevicesProblem(command.Devices);

    public static string? CheckConfigure(ImmutableDictionary<string, DeviceGroup> groups, ConfigureGroup command) =>
        Unknown(groups, command.Group) ?? command.Config.Problem;

    public static ImmutableDictionary<string, DeviceGroup> Apply(ImmutableDictionary<string, DeviceGroup> groups, IGroupEvent e) => e switch
    {
        GroupCreated created => groups.SetItem(created.Group, new DeviceGroup(created.Group, created.Description, null, created.At)),
        GroupDeleted deleted => groups.Remove(deleted.Group),
        GroupConfigured configured => groups.SetItem(configured.Group, groups[configured.Group] with { Config = configured.Config }),
        _ => throw new ArgumentException($"unknown group event {e.GetType().Name}", nameof(e)),
    };

    private static string? Unknown(ImmutableDictionary<string, DeviceGroup> groups, string group) =>
        NameProblem(group) ?? (groups.ContainsKey(group) ? null : $"no group {group} (pbm groups create {group})");

    private static string? NameProblem(string group) => Names.Group.Problem(group);

    private static string? DevicesProblem(IReadOnlyList<string> devices) =>
        devices.Count == 0 ? "name at least one device (--device)"
        : devices.Count > MaxDevicesPerCall ? $"{devices.Count} devices named, over the limit of {MaxDevicesPerCall} per call"
        : devices.Select(d => Names.Device.Problem(d)).FirstOrDefault(p => p is not null) is { } bad ? bad
        : devices.Distinct(StringComparer.Ordinal).Count() != devices.Count ? $"device {devices.GroupBy(d => d, StringComparer.Ordinal).First(g => g.Count() > 1).Key} is named twice"
        : null;
}
