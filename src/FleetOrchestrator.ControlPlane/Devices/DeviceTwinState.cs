namespace FleetOrchestrator.ControlPlane.Devices;

/// <summary>One device's twin state and the decisions on it, without actors.</summary>
public sealed record DeviceTwinState(string DeviceId, DeviceRegistration? Registration, DateTimeOffset? LastSeen)
{
    public static DeviceTwinState Empty(string deviceId) => new(deviceId, null, null);

    /// <summary>The event registering the device, or the reason it is refused.</summary>
    public (DeviceWasRegistered? Event, string? Refusal) Decide(RegisterDevice command, DateTimeOffset now)
    {
        if (command.DeviceId != DeviceId)
            return (null, $"command for device \"{command.DeviceId}\" reached the twin of \"{DeviceId}\"");
        if (Registration is { } existing)
            return (null, $"a device named \"{DeviceId}\" is already registered (since {existing.RegisteredAt:u})");
        return (new DeviceWasRegistered(DeviceId, new DeviceRegistration(command.HardwareId, command.Tag, command.CertificateSha256, now)), null);
    }

    public DeviceTwinState Apply(DeviceWasRegistered registered) => this with { Registration = registered.Registration };

    /// <summary>Last seen only moves forward (reports can arrive out of order).</summary>
    public DeviceTwinState Seen(DateTimeOffset at) => LastSeen is { } last && last >= at ? this : this with { LastSeen = at };

    public DeviceView View() => new(DeviceId, Registration, LastSeen);
}
