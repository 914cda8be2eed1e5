using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FleetOrchestrator.Edge.Outbox;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// The agent's reports as outbox entries, each with what keeps it from being sent twice: an event keeps its own id,
/// system facts are identified by their content, and app states are queued only when they differ from the last ones queued.
/// </summary>
public sealed class AgentReports
{
    private string? _lastAppsStates;

    public static QueueReport Event(DeviceEvent e) => new(ReportEndpoints.Events, JsonSerializer.Serialize(e, DeviceApiJson.Options), e.Id);

    /// <summary>Its id is the hash of its content: unchanged facts already delivered are not sent again.</summary>
    public static QueueReport SystemInfo(SystemInfoReport info)
    {
        var json = JsonSerializer.Serialize(info, DeviceApiJson.Options);
        return new QueueReport(ReportEndpoints.SystemInfo, json, "system-info-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..32]);
    }

    /// <summary>Null when the target and its apps' states are those last queued (the time read does not count).</summary>
    public QueueReport? AppsStates(AppsStatesReport report)
    {
        var apps = JsonSerializer.Serialize(new { report.TargetName, report.Apps }, DeviceApiJson.Options);
        if (apps == _lastAppsStates) return null;
        _lastAppsStates = apps;
        return new QueueReport(ReportEndpoints.AppsStates, JsonSerializer.Serialize(report, DeviceApiJson.Options));
    }
}
