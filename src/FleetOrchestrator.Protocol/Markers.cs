namespace FleetOrchestrator.Protocol;

/// <summary>
/// Every message that crosses a node boundary or is persisted. Bound to <see cref="Serialization.FleetJsonSerializer"/>,
/// so each such type must have an entry in the <see cref="Serialization.ManifestTable"/> the node registers.
/// </summary>
public interface IFleetMessage;

/// <summary>A message for one device: sharding routes it to that device's twin by <see cref="DeviceId"/>.</summary>
public interface IWithDeviceId
{
    string DeviceId { get; }
}
