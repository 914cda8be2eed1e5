namespace FleetOrchestrator.Protocol;

/// <summary>
/// Every message that crosses a node boundary or is persisted. Bound to the fleet JSON serializer
/// (FleetOrchestrator.Akka: <c>FleetJsonSerializer</c>), so each such type must have an entry in the <c>ManifestTable</c> the node registers.
/// </summary>
public interface IFleetMessage;

/// <summary>A message for one device: sharding routes it to that device's twin by <see cref="DeviceId"/>.</summary>
public interface IWithDeviceId
{
    string DeviceId { get; }
}
