using System.Text.Json;
using System.Text.Json.Serialization;

namespace FleetOrchestrator.Protocol.DeviceApi;

// The JSON a device sends to the gateway (REFERENCE "Device agent defaults" → Events). Shared by the edge agent,
// which writes it, and the gateway, which reads it, so the two cannot drift apart.

/// <summary>The event types an update produces, in the order a successful update sends them.</summary>
public static class DeviceEventTypes
{
    public const string DownloadStarted = "EcuDownloadStarted";
    public const string DownloadCompleted = "EcuDownloadCompleted";
    public const string InstallationStarted = "EcuInstallationStarted";
    public const string InstallationApplied = "EcuInstallationApplied";
    public const string InstallationCompleted = "EcuInstallationCompleted";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        DownloadStarted, DownloadCompleted, InstallationStarted, InstallationApplied, InstallationCompleted,
    };

    /// <summary>Longest <see cref="DeviceEventBody.Details"/> accepted.</summary>
    public const int MaxDetailsLength = 2048;
}

/// <summary>One element of the array POSTed to <c>/events</c>.</summary>
/// <param name="Id">Unique per event (a UUID): the gateway drops an event whose id it has seen, so a resent batch is harmless.</param>
/// <param name="DeviceTime">When it happened, on the device's clock (ISO 8601 UTC).</param>
public sealed record DeviceEvent(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("deviceTime")] DateTimeOffset DeviceTime,
    [property: JsonPropertyName("eventType")] DeviceEventType EventType,
    [property: JsonPropertyName("event")] DeviceEventBody Event);

public sealed record DeviceEventType(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("version")] int Version = 0);

/// <param name="CorrelationId"><c>&lt;version&gt;-&lt;uuid&gt;</c>: every event of one update attempt shares it.</param>
/// <param name="Success">Set on the Completed events only.</param>
/// <param name="Details">At most <see cref="DeviceEventTypes.MaxDetailsLength"/> characters.</param>
public sealed record DeviceEventBody(
    [property: JsonPropertyName("correlationId")] string CorrelationId,
    [property: JsonPropertyName("targetName")] string TargetName,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("success"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Success = null,
    [property: JsonPropertyName("details"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Details = null);

/// <summary>The body POSTed to <c>/apps-states</c> when any app's state changes.</summary>
public sealed record AppsStatesReport(
    [property: JsonPropertyName("deviceTime")] DateTimeOffset DeviceTime,
    [property: JsonPropertyName("targetName")] string? TargetName,
    [property: JsonPropertyName("apps")] IReadOnlyDictionary<string, AppStateReport> Apps);

/// <param name="State">One of <see cref="AppStates"/>.</param>
/// <param name="Services">Per compose service: a short reason when it is not running and healthy, else "ok".</param>
public sealed record AppStateReport(
    [property: JsonPropertyName("uri")] string Uri,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("services")] IReadOnlyDictionary<string, string> Services);

public static class AppStates
{
    public const string Healthy = "healthy";
    public const string Unhealthy = "unhealthy";
    public const string Starting = "starting";
    public const string Stopped = "stopped";
}

/// <summary>The body PUT to <c>/system_info</c>: free-form facts about the device, bounded by the gateway's request limit.</summary>
public sealed record SystemInfoReport(
    [property: JsonPropertyName("agentVersion")] string AgentVersion,
    [property: JsonPropertyName("os")] string Os,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("dockerVersion")] string? DockerVersion,
    [property: JsonPropertyName("composeCommand")] string? ComposeCommand);

/// <summary>The JSON settings both sides use for these bodies.</summary>
public static class DeviceApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        MaxDepth = 16,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };
}
