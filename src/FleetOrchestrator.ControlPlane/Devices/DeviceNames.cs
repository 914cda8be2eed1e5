using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Devices;

/// <summary>
/// Only for GatewayEndpoints until its split lands (issue 12; that file is another slice's): its device-name checks
/// become <see cref="Names.Device"/>, and this class goes.
/// </summary>
public static class DeviceNames
{
    public static NameRule Pattern() => Names.Device;
}
