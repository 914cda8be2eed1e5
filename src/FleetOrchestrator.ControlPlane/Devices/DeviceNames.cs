using System.Text.RegularExpressions;

namespace FleetOrchestrator.ControlPlane.Devices;

public static partial class DeviceNames
{
    /// <summary>Device names (the certificate's CN): 1-63 of a-z 0-9 - starting with a letter or digit.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    public static partial Regex Pattern();
}
