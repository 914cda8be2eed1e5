namespace FleetOrchestrator.Edge.Compose;

/// <summary>One service of an app as the engine shows it (REFERENCE running and healthy checks).</summary>
/// <param name="ContainerId">The container with the expected labels and config-hash; null when there is none.</param>
/// <param name="State">The engine's container state (running, exited, created, restarting...); null without a container.</param>
/// <param name="Detail">Why the service is not running or not healthy; empty when it is both.</param>
public sealed record ServiceStatus(string Service, string? ContainerId, string? State, bool Running, bool Healthy, string Detail);

public sealed record AppStatus(string Project, IReadOnlyList<ServiceStatus> Services)
{
    /// <summary>Every service has its container, created from the expected definition and not stuck in <c>created</c>.</summary>
    public bool Running => Services.All(s => s.Running);

    /// <summary>Running, and every service healthy (healthcheck healthy, or running, or exited 0).</summary>
    public bool Healthy => Running && Services.All(s => s.Healthy);

    public override string ToString() =>
        $"{Project}: " + string.Join("; ", Services.Select(s => $"{s.Service} {s.State ?? "missing"}" + (s.Detail.Length == 0 ? "" : $" ({s.Detail})")));
}
