using Akka.Persistence.Journal;

namespace FleetOrchestrator.ControlPlane.Devices;

/// <summary>
/// Tags the <see cref="IDeviceTwinEvent"/>s the fleet table is made of, so the fleet projection reads them with one
/// EventsByTag query. A view assignment changes no column of the table: left untagged, a wave over 100,000 devices
/// adds no work to the projection.
/// </summary>
public sealed class DeviceTwinTagger : IWriteEventAdapter
{
    public const string Tag = "device-twin";

    public string Manifest(object evt) => string.Empty;

    public object ToJournal(object evt) => evt is IDeviceTwinEvent and not DeviceViewWasAssigned ? new Tagged(evt, [Tag]) : evt;
}
