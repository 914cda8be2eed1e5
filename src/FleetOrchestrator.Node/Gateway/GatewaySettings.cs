namespace FleetOrchestrator.Node.Gateway;

/// <summary>The device gateway (HOCON <c>fleet.gateway</c>): per-device request rate (token bucket) and how often a check-in reaches the twin.</summary>
/// <param name="LastSeenResolution">The twins' (<c>fleet.devices.last-seen-resolution</c>): a check-in within it of the last one passed on touches no actor.</param>
public sealed record GatewaySettings(double RequestsPerSecond, int Burst, TimeSpan LastSeenResolution);
