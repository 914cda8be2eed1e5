using FleetOrchestrator.ControlPlane.Devices;

namespace FleetOrchestrator.ControlPlane.Fleet;

/// <summary>One device in the fleet table: what listings and counts read. <see cref="Revocation"/> is set once the device is revoked.</summary>
public sealed record FleetRow(
    string DeviceId,
    string HardwareId,
    string Tag,
    string? Group,
    string? CurrentTarget,
    string Status,
    string AppHealth,
    DateTimeOffset RegisteredAt,
    DateTimeOffset LastSeen,
    DeviceRevocation? Revocation = null)
{
    /// <summary>
    /// The row after a twin event; null when there is no row to change (an event of an unregistered device
    /// cannot exist, so that only guards the table against a foreign journal). Columns are copied from the
    /// event, which carries what the twin derived: the table never re-derives twin decisions. A deletion is no row
    /// change: <see cref="FleetTable"/> drops the row.
    /// </summary>
    public static FleetRow? Apply(FleetRow? row, IDeviceTwinEvent e)
    {
        if (e is DeviceWasRegistered registered)
        {
            var r = registered.Registration;
            return new FleetRow(registered.DeviceId, r.HardwareId, r.Tag, r.Group, null, DeviceStatuses.Registered, Devices.AppHealth.Unknown, r.RegisteredAt, r.RegisteredAt);
        }
        if (row is null) return null;
        var seen = e.At > row.LastSeen ? e.At : row.LastSeen;
        return e switch
        {
            DeviceEventsWereRecorded recorded => row with { Status = recorded.Status, CurrentTarget = recorded.CurrentTarget, LastSeen = seen },
            DeviceAppsStatesChanged apps => row with { AppHealth = apps.AppHealth, CurrentTarget = apps.CurrentTarget, LastSeen = seen },
            DeviceConfigChanged changed => row with { Tag = changed.Config.Tag, Group = changed.Group, LastSeen = seen },
            DeviceWasRevoked revoked => row with { Revocation = revoked.Revocation },
            _ => row with { LastSeen = seen },
        };
    }
}

/// <summary>A fleet-table filter; null fields match everything. Rows come in device id order, after <see cref="After"/>, at most <see cref="Limit"/>.</summary>
public sealed record FleetQuery(string? Tag = null, string? Group = null, string? Target = null, string? Status = null, string? After = null, int Limit = 100)
{
    public const int MaxLimit = 1000;
}
