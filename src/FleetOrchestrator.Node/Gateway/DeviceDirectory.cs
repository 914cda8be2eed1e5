using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>
/// The registrations this gateway has fetched from twins, by device name, and the certificate each accepts. A
/// registration changes only by certificate renewal (<see cref="DeviceCertificates"/>): every twin publishes its new
/// one and this gateway takes it at once (<see cref="Changed"/>). So that a change it missed cannot leave it wrong:
/// a certificate the cached registration does not hold is checked with the twin before it is refused (a renewal on
/// another gateway), and an entry older than <see cref="GatewaySettings.DeviceCacheTtl"/> is fetched again on the
/// device's next new connection (a replaced certificate stops working within that time at most).
/// </summary>
public sealed class DeviceDirectory(IRequiredActor<DeviceTwinActor> twins, ServedDevices served, GatewaySettings settings, TimeProvider time)
{
    private sealed record Entry(GatewayDevice Device, long FetchedAt);

    private readonly ConcurrentDictionary<string, Entry> _devices = new(StringComparer.Ordinal);

    /// <summary>
    /// The device <paramref name="name"/> when <paramref name="sha256"/> is its current certificate, after making a
    /// renewed certificate current (its first use); null for an unknown device or any other certificate.
    /// </summary>
    public async Task<GatewayDevice?> AuthenticateAsync(string name, string sha256, CancellationToken cancellation)
    {
        var cached = _devices.TryGetValue(name, out var entry) && time.GetUtcNow().UtcTicks - entry.FetchedAt < settings.DeviceCacheTtl.Ticks;
        var device = cached ? entry!.Device : await FetchAsync(name);
        // Renewed on another gateway, whose news has not come yet.
        if (cached && !DeviceCertificates.Holds(device!.Registration, sha256)) device = await FetchAsync(name);
        if (device is null || !DeviceCertificates.Holds(device.Registration, sha256)) return null;
        if (sha256 == device.Registration.CertificateSha256) return device;
        var answer = await (await twins.GetAsync(cancellation)).Ask<object>(new ActivateDeviceCertificate(name, sha256), GatewayEndpoints.TwinTimeout, cancellation);
        return answer is DeviceCertificateAnswered activated && Update(activated.DeviceId, activated.Registration) is { } current
               && current.Registration.CertificateSha256 == sha256 ? current : null;
    }

    /// <summary>Whether <paramref name="device"/>, authenticated earlier on an open connection, still holds the current certificate.</summary>
    public bool IsCurrent(GatewayDevice device) =>
        _devices.TryGetValue(device.Name, out var entry) && entry.Device.Registration.CertificateSha256 == device.Registration.CertificateSha256;

    /// <summary>A twin's new certificates (published, or answered to this gateway); devices not cached here are fetched when they come.</summary>
    public void Changed(DeviceCertificateChanged change) => Update(change.DeviceId, change.Registration);

    private GatewayDevice? Update(string name, DeviceRegistration registration)
    {
        while (_devices.TryGetValue(name, out var entry))
        {
            var updated = entry with { Device = entry.Device with { Registration = registration } };
            if (_devices.TryUpdate(name, updated, entry)) return updated.Device;
        }
        return null;
    }

    /// <summary>The device as its twin knows it now: what the twin serves it goes to <see cref="ServedDevices"/> the first time.</summary>
    private async Task<GatewayDevice?> FetchAsync(string name)
    {
        var fetchedAt = time.GetUtcNow().UtcTicks;
        var details = await (await twins.GetAsync()).Ask<DeviceDetails>(new GetDevice(name), GatewayEndpoints.TwinTimeout);
        if (details is not { Registration: { } registration, ServedView: { } view })
        {
            _devices.TryRemove(name, out _);
            return null;
        }
        served.FirstSeen(name, view, details.OwnConfig ?? details.GroupConfig);
        var device = new GatewayDevice(name, registration);
        _devices[name] = new Entry(device, fetchedAt);
        return device;
    }
}
