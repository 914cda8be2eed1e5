using FleetOrchestrator.Edge.Compose;

namespace FleetOrchestrator.Edge.Runtime;

/// <summary>
/// What the agent needs of the container runtime, per installed app folder. <see cref="ComposeRuntime"/> is the
/// real one (docker compose and the engine API); <see cref="SimulatedRuntime"/> stands in for it in
/// <c>fleet-edge simulate</c>, where thousands of agents share one process and no engine.
/// Failures are <see cref="ComposeException"/>, <see cref="IOException"/>, Docker API or compose-file exceptions.
/// </summary>
public interface IAppRuntime
{
    /// <summary>How apps are run, for the device's system facts (e.g. the compose command line).</summary>
    string Description { get; }

    /// <summary>The engine's version, or null when it cannot be asked.</summary>
    Task<string?> EngineVersionAsync(CancellationToken ct);

    /// <summary>Pulls what is missing, then creates or recreates and starts the app's services.</summary>
    /// <param name="recreate">Recreate every service (the app folder was replaced).</param>
    Task StartAsync(string app, string directory, bool recreate, CancellationToken ct);

    /// <summary>Stops and removes the app's services (also when its folder is already gone).</summary>
    Task StopAsync(string app, string directory, CancellationToken ct);

    /// <summary>Each service of the app as the runtime shows it now (REFERENCE running and healthy checks).</summary>
    Task<AppStatus> StatusAsync(string app, string directory, CancellationToken ct);

    /// <summary>The images the app's services run, as the runtime names them.</summary>
    IReadOnlyCollection<string> ImagesOf(string app, string directory);

    /// <summary>Removes those of <paramref name="candidates"/> nothing uses any more (except images labelled to keep).</summary>
    Task PruneAsync(IEnumerable<string> candidates, IEnumerable<string> stillUsed, CancellationToken ct);
}
