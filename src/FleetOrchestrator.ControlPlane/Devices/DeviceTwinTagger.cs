using Akka.Persistence.Journal;

namespace FleetOrchestrator.ControlPlane.Devices;

/// <summary>Tags every <see cref="IDeviceTwinEvent"/> in the journal so the fleet projection can read them all with one EventsByTag query.</summary>
public sealed class DeviceTwinTagger : IWriteEventAdapter
{
    public const string Tag = "device-twin";

    public string Manifest(object evt) => string.Empty;

    public object ToJournal(object evt) => evt is IDeviceTwinEvent ? new Tagged(evt, [Tag]) : evt;
}
