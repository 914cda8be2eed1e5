using System.Text.Json;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>A registered device: what its certificate says and which tag's view it reads.</summary>
public sealed record DeviceRecord(string Name, string HardwareId, string Tag, string CertificateSha256, DateTimeOffset RegisteredAt);

/// <summary>
/// Registered devices of an embedded node, one JSON file each under <c>devices/</c>, created exclusively so a
/// name can be registered once. (Device twins under Cluster Sharding replace this for multi-node clusters.)
/// </summary>
public sealed class DeviceDirectory(string directory)
{
    private readonly Dictionary<string, DeviceRecord> _cache = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Adds the device; false when the name is already registered.</summary>
    public async Task<bool> TryAddAsync(DeviceRecord device, CancellationToken cancellation)
    {
        Directory.CreateDirectory(directory);
        try
        {
            await using var file = new FileStream(PathOf(device.Name), FileMode.CreateNew, FileAccess.Write);
            await JsonSerializer.SerializeAsync(file, device, cancellationToken: cancellation);
        }
        catch (IOException) when (File.Exists(PathOf(device.Name)))
        {
            return false;
        }
        lock (_lock) _cache[device.Name] = device;
        return true;
    }

    public async Task<DeviceRecord?> FindAsync(string name, CancellationToken cancellation)
    {
        lock (_lock)
            if (_cache.TryGetValue(name, out var cached)) return cached;
        if (!File.Exists(PathOf(name))) return null;
        await using var file = File.OpenRead(PathOf(name));
        var device = await JsonSerializer.DeserializeAsync<DeviceRecord>(file, cancellationToken: cancellation);
        if (device is not null) lock (_lock) _cache[name] = device;
        return device;
    }

    // Names are validated against Registration.DeviceNamePattern before they reach here.
    private string PathOf(string name) => Path.Combine(directory, name + ".json");
}
