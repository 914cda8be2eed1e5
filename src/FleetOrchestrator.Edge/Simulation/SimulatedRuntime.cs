using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using FleetOrchestrator.ComposeApps.Compose;
using FleetOrchestrator.Edge.Compose;
using FleetOrchestrator.Edge.Runtime;

namespace FleetOrchestrator.Edge.Simulation;

/// <summary>
/// The container runtime of a simulated device (<c>fleet-edge simulate</c>): the only fake in the agent. It runs
/// nothing, but reads each app's extracted, verified compose file as the real runtime would, so a broken app
/// folder fails the same way. An app is running from its start until it is stopped; apps already installed
/// when the process starts are running, as containers with a restart policy would be after a reboot.
/// A service does not come up (it "exits with code 1", so the agent rolls back) when it carries the label
/// <see cref="FailLabel"/> = <c>fail</c>; and on a <see cref="FailRate"/> share of devices each app version's first
/// service does not, chosen by a hash of device, app and images — the same version fails on the same device every
/// time, like a real defect.
/// </summary>
public sealed class SimulatedRuntime(string device, double failRate) : IAppRuntime
{
    public const string FailLabel = "io.fleetorchestrator.simulate";

    private readonly ConcurrentDictionary<string, bool> _stopped = new(StringComparer.Ordinal);

    public double FailRate { get; } = failRate is >= 0 and <= 1 ? failRate : throw new ArgumentOutOfRangeException(nameof(failRate), failRate, "a share from 0 to 1");

    public string Description => "simulated";

    public Task<string?> EngineVersionAsync(CancellationToken ct) => Task.FromResult<string?>(null);

    public Task StartAsync(string app, string directory, bool recreate, CancellationToken ct)
    {
        _ = Load(directory); // a missing or malformed compose file fails the start, as compose would
        _stopped.TryRemove(app, out _);
        return Task.CompletedTask;
    }

    public Task StopAsync(string app, string directory, CancellationToken ct)
    {
        _stopped[app] = true;
        return Task.CompletedTask;
    }

    public Task<AppStatus> StatusAsync(string app, string directory, CancellationToken ct)
    {
        var compose = Load(directory);
        var versionFails = FailRate > 0 && Draw(app, compose) < FailRate;
        var services = compose.Services.Select((service, index) =>
            _stopped.ContainsKey(app) ? new ServiceStatus(service.Name, null, null, false, false, "no container")
            : service.LabelValue(FailLabel) == "fail" || (versionFails && index == 0)
                ? new ServiceStatus(service.Name, Id(app, service), "exited", true, false, "exited with code 1")
                : new ServiceStatus(service.Name, Id(app, service), "running", true, true, "")).ToList();
        return Task.FromResult(new AppStatus(app, services));
    }

    public IReadOnlyCollection<string> ImagesOf(string app, string directory) =>
        Load(directory).Services.Select(s => s.Image ?? throw new ComposeFileException(directory, $"service '{s.Name}' has no image")).ToList();

    /// <summary>Nothing is stored, so nothing is removed.</summary>
    public Task PruneAsync(IEnumerable<string> candidates, IEnumerable<string> stillUsed, CancellationToken ct) => Task.CompletedTask;

    /// <summary>A number in [0, 1) fixed by device, app and the app version's services and images.</summary>
    private double Draw(string app, ComposeFile compose)
    {
        var version = string.Join(",", compose.Services.Select(s => $"{s.Name}={s.Image}"));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{device}|{app}|{version}"));
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) / (double)(1UL << 53);
    }

    private string Id(string app, ComposeService service) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{device}|{app}|{service.Name}")))[..12];

    private static ComposeFile Load(string directory) => ComposeFile.Load(Path.Combine(directory, ComposeFile.FileName));
}
