using FleetOrchestrator.Protocol;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.ControlPlane.Groups;

/// <summary>A device group as the groups singleton keeps it; its members are recorded by their twins (and listed by the fleet table).</summary>
/// <param name="Config">The tag and apps its devices follow unless they have their own; null: what each registered with.</param>
public sealed record DeviceGroup(string Name, string? Description, DeviceConfig? Config, DateTimeOffset CreatedAt);

// ---- commands (answered with GroupAccepted, GroupMembersChanged, or Protocol.Decisions.Refused) ------

public sealed record CreateGroup(string Group, string? Description) : IFleetMessage;

/// <summary>Deletes a group that has no devices (by the fleet table).</summary>
public sealed record DeleteGroup(string Group) : IFleetMessage;

/// <summary>Moves devices into a group (each refused by its twin while it is in another group).</summary>
public sealed record AddToGroup(string Group, IReadOnlyList<string> Devices) : IFleetMessage;

/// <summary>Takes devices out of a group; also for a group devices only registered with (never created).</summary>
public sealed record RemoveFromGroup(string Group, IReadOnlyList<string> Devices) : IFleetMessage;

/// <summary>Sets the group's config and hands it to every device of the group (from the fleet table).</summary>
public sealed record ConfigureGroup(string Group, DeviceConfig Config) : IFleetMessage;

/// <summary>From the gateway: a device registered with <see cref="Group"/>; if that group has a config, its twin is given it.</summary>
public sealed record DeviceJoinedGroup(string DeviceId, string Group) : IFleetMessage;

public sealed record ListGroups : IFleetMessage
{
    public static ListGroups Instance { get; } = new();
}

public sealed record GroupAccepted(DeviceGroup Group, string Message) : IFleetMessage;

/// <summary>What each device's twin answered to an add, remove or config: changed, already so, or refused (and why).</summary>
public sealed record GroupMembersChanged(string Group, IReadOnlyList<GroupMemberResult> Devices) : IFleetMessage;

public sealed record GroupMemberResult(string DeviceId, bool Changed, string? Refusal);

public sealed record GroupList(IReadOnlyList<DeviceGroup> Groups) : IFleetMessage;

// ---- persisted events ---------------------------------------------------------------------------------

public interface IGroupEvent : IFleetMessage
{
    string Group { get; }
}

public sealed record GroupCreated(string Group, string? Description, DateTimeOffset At) : IGroupEvent;

public sealed record GroupDeleted(string Group, DateTimeOffset At) : IGroupEvent;

public sealed record GroupConfigured(string Group, DeviceConfig Config, DateTimeOffset At) : IGroupEvent;

public sealed record DeviceGroupsSnapshot(IReadOnlyList<DeviceGroup> Groups) : IFleetMessage;
