using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Fleet;

/// <summary>Asks the fleet projection how far into the journal the fleet table is.</summary>
public sealed record GetFleetProjectionOffset : IFleetMessage
{
    public static GetFleetProjectionOffset Instance { get; } = new();
}

/// <summary>The journal ordering the fleet table reflects (every tagged event up to it is applied).</summary>
public sealed record FleetProjectionOffset(long Offset) : IFleetMessage;
