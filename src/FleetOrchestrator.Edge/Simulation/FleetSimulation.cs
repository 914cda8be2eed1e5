using Akka.Actor;
using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Gateway;
using FleetOrchestrator.Edge.Hosting;
using FleetOrchestrator.Edge.Registration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FleetOrchestrator.Edge.Simulation;

/// <param name="ConfigFile">HOCON applied over every device's edge.conf (registry, health window...); null for none.</param>
/// <param name="PollInterval">Overrides the poll interval of every device when given.</param>
public sealed record SimulationOptions(
    Uri Gateway, string Token, int Devices, string HardwareId, string Tag, string Group, double FailRate, string Prefix,
    string DataDirectory, string? GatewayCaFile, string? ConfigFile, TimeSpan? PollInterval)
{
    public const int MaxDevices = 100_000;

    public string DeviceName(int index) => $"{Prefix}-{index}";

    public string DeviceDirectory(int index) => Path.Combine(DataDirectory, "devices", DeviceName(index));

    /// <summary>The journal all simulated agents share (one SQLite writer for the whole process).</summary>
    public string JournalFile => Path.Combine(DataDirectory, "simulate.db");
}

/// <summary>
/// <c>fleet-edge simulate</c>: N complete agents in one process for control-plane load tests. Each device is
/// registered like a real one (own key and certificate, mutual TLS), verifies TUF metadata, downloads and
/// verifies its bundles from the registry and extracts them; only the container runtime is simulated
/// (<see cref="SimulatedRuntime"/>). The agents share one ActorSystem, one SQLite journal and one registry client.
/// </summary>
public static class FleetSimulation
{
    private const int ParallelRegistrations = 8;

    /// <summary>Registers the devices not yet registered in the data directory (names <c>prefix-1..N</c>); returns how many were new.</summary>
    public static async Task<int> RegisterAsync(SimulationOptions options, Action<int> progress, CancellationToken ct)
    {
        var missing = Enumerable.Range(1, options.Devices).Where(i => !File.Exists(new DeviceFiles(options.DeviceDirectory(i)).SettingsFile)).ToList();
        var registering = missing.Count;
        var done = options.Devices - registering;
        if (registering == 0) return 0;
        // The first registration fixes the gateway CA (given, or trusted on first use); the others are held to it.
        var pinned = options.GatewayCaFile ?? Enumerable.Range(1, options.Devices).Select(i => new DeviceFiles(options.DeviceDirectory(i)).GatewayCaFile).FirstOrDefault(File.Exists);
        if (pinned is null)
        {
            var first = missing[0];
            missing.RemoveAt(0);
            await RegisterOneAsync(options, first, null, ct);
            pinned = new DeviceFiles(options.DeviceDirectory(first)).GatewayCaFile;
            progress(++done);
        }
        await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = ParallelRegistrations, CancellationToken = ct }, async (index, token) =>
        {
            await RegisterOneAsync(options, index, pinned, token);
            progress(Interlocked.Increment(ref done));
        });
        return registering;
    }

    private static Task RegisterOneAsync(SimulationOptions options, int index, string? gatewayCa, CancellationToken ct) =>
        DeviceRegistrar.RegisterAsync(new RegistrationOptions(options.Gateway, options.Token, options.HardwareId, options.DeviceName(index),
            options.Tag, options.Group, options.DeviceDirectory(index), gatewayCa), ct);

    /// <summary>Each device's edge.conf with the shared settings over it.</summary>
    /// <exception cref="EdgeSettingsException">A device's settings or the shared file are invalid.</exception>
    public static IReadOnlyList<EdgeSettings> LoadSettings(SimulationOptions options)
    {
        var shared = "";
        if (options.ConfigFile is { } file)
        {
            if (!File.Exists(file)) throw new EdgeSettingsException($"--config {file} does not exist");
            if (new FileInfo(file).Length > 256 * 1024) throw new EdgeSettingsException($"--config {file} is over 256 KiB");
            shared = File.ReadAllText(file);
        }
        var settings = new List<EdgeSettings>(options.Devices);
        for (var i = 1; i <= options.Devices; i++)
        {
            var directory = options.DeviceDirectory(i);
            var files = new DeviceFiles(directory);
            // HOCON: later keys win, so the shared file overrides what each device's edge.conf says.
            var device = EdgeSettings.Parse(File.ReadAllText(files.SettingsFile) + "\n" + shared, directory, $"{files.SettingsFile} + {options.ConfigFile ?? "no --config"}");
            settings.Add(options.PollInterval is { } poll ? device with { PollInterval = poll } : device);
        }
        return settings;
    }

    /// <summary>
    /// The journal's circuit breaker as a shared journal under a starting fleet needs it: recoveries queue behind each
    /// other on one SQLite file, so a call may wait long without anything being wrong.
    /// </summary>
    public const string JournalHocon = """
        akka.persistence.journal.sql.circuit-breaker { max-failures = 1000, call-timeout = 120s, reset-timeout = 10s }
        akka.persistence.snapshot-store.sql.circuit-breaker { max-failures = 1000, call-timeout = 120s, reset-timeout = 10s }
        """;

    /// <summary>The host running one polling agent per device, each with its own <see cref="SimulatedRuntime"/>, started by an <see cref="AgentStarter"/>.</summary>
    public static IHost Build(SimulationOptions options, IReadOnlyList<EdgeSettings> devices, LogLevel minimumLevel)
    {
        var registry = EdgeHost.RegistryClient(devices[0]);
        var builder = EdgeHost.CreateBuilder(options.JournalFile, minimumLevel, (system, _) =>
            system.ActorOf(Props.Create(typeof(AgentStarter), devices, (Func<EdgeSettings, Props>)AgentProps), "simulation"), JournalHocon);
        builder.Services.AddSingleton(registry);
        return builder.Build();

        Props AgentProps(EdgeSettings settings)
        {
            // Each device its own mutual-TLS client: the certificate is its identity at the gateway.
            var gateway = GatewayHttp.ForDevice(settings);
            var steps = new UpdateSteps(settings, gateway.Http, registry, new SimulatedRuntime(settings.DeviceName, options.FailRate), TimeProvider.System,
                new CertificateRenewer(settings.Files, gateway, TimeProvider.System));
            return DeviceAgentActor.PropsFor(settings, steps, gateway.Http, TimeProvider.System, poll: true, journalKey: settings.DeviceName);
        }
    }

    /// <summary>One line on the fleet as the agents' status files show it: devices per current target, updating, failed, pending reports.</summary>
    public static string Summarize(IReadOnlyList<EdgeSettings> devices)
    {
        var perTarget = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int updating = 0, withFailed = 0, pending = 0;
        foreach (var settings in devices)
        {
            AgentStatus? status;
            try { status = AgentStatus.Read(settings); }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException) { status = null; } // being rewritten
            var target = status?.Current?.Name ?? "no target";
            perTarget[target] = perTarget.GetValueOrDefault(target) + 1;
            if (status?.UpdateInProgress is not null) updating++;
            if (status?.FailedTargets.Count > 0) withFailed++;
            pending += status?.PendingReports ?? 0;
        }
        return $"{devices.Count} devices: {string.Join(", ", perTarget.Select(t => $"{t.Key} {t.Value}"))}; updating {updating}; " +
               $"with a failed target {withFailed}; reports pending {pending}";
    }
}
