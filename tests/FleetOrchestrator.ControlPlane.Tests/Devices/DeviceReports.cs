using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.ControlPlane.Tests.Devices;

/// <summary>Device report bodies as an agent sends them (REFERENCE event format).</summary>
public static class DeviceReports
{
    public static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    public static string Correlation(string version, int n = 1) => $"{version}-00000000-0000-4000-8000-{n:D12}";

    public static DeviceEvent Event(string id, string type, string target, bool? success = null, string? details = null, int attempt = 1, int minute = 0)
    {
        var version = target.Split('-')[^1];
        return new DeviceEvent(id, Now.AddMinutes(minute), new DeviceEventType(type), new DeviceEventBody(Correlation(version, attempt), target, version, success, details));
    }

    /// <summary>The five events of one successful update of <paramref name="target"/>, ids <c>&lt;prefix&gt;-1..5</c>.</summary>
    public static IReadOnlyList<DeviceEvent> SuccessfulUpdate(string target, string prefix, int attempt = 1) =>
    [
        Event($"{prefix}-1", DeviceEventTypes.DownloadStarted, target, attempt: attempt),
        Event($"{prefix}-2", DeviceEventTypes.DownloadCompleted, target, success: true, attempt: attempt, minute: 1),
        Event($"{prefix}-3", DeviceEventTypes.InstallationStarted, target, attempt: attempt, minute: 2),
        Event($"{prefix}-4", DeviceEventTypes.InstallationApplied, target, attempt: attempt, minute: 3),
        Event($"{prefix}-5", DeviceEventTypes.InstallationCompleted, target, success: true, attempt: attempt, minute: 4),
    ];

    public static AppsStatesReport Apps(string? target, params (string Name, string State)[] apps) =>
        new(Now, target, apps.ToDictionary(a => a.Name, a => new AppStateReport($"r/acme/{a.Name}@sha256:01", a.State,
            new Dictionary<string, string> { ["web"] = a.State == AppStates.Healthy ? "ok" : "exited (1)" })));

    public static SystemInfoReport Info(string agentVersion = "1.0.0") => new(agentVersion, "Debian 12", "arm64", "24.0.7", "docker-compose");
}
