namespace FleetOrchestrator.Node.Gateway;

/// <summary>The device gateway (HOCON <c>fleet.gateway</c>): per-device request rate (token bucket) and how often a check-in reaches the twin.</summary>
/// <param name="LastSeenResolution">The twins' (<c>fleet.devices.last-seen-resolution</c>): a check-in within it of the last one passed on touches no actor.</param>
/// <param name="DeviceCertificateLifetime">Of the certificates the device CA issues at registration and renewal.</param>
/// <param name="DeviceCacheTtl">A registration cached by the gateway is fetched from its twin again after this (<see cref="DeviceDirectory"/>).</param>
public sealed record GatewaySettings(double RequestsPerSecond, int Burst, TimeSpan LastSeenResolution, TimeSpan DeviceCertificateLifetime, TimeSpan DeviceCacheTtl,
    RegistrationLimits Registration, ConnectionLimits Connections);

/// <summary>Registrations per source address (HOCON <c>fleet.gateway.registration</c>): see <see cref="RegistrationThrottle"/>.</summary>
/// <param name="PerMinute">Registrations (attempts) per minute an address may make once its burst is spent.</param>
/// <param name="FailureBackoff">An address's wait after its first failure, doubling per failure up to <paramref name="MaxFailureBackoff"/>.</param>
/// <param name="MaxAddresses">Addresses tracked at most (the table is bounded).</param>
public sealed record RegistrationLimits(double PerMinute, int Burst, TimeSpan FailureBackoff, TimeSpan MaxFailureBackoff, int MaxAddresses);

/// <summary>Concurrent TLS connections to the gateway (HOCON <c>fleet.gateway.connections</c>): in total and per source address.</summary>
public sealed record ConnectionLimits(int Max, int MaxPerAddress);
