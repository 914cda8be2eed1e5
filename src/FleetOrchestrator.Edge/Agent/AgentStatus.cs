using System.Text.Json;
using FleetOrchestrator.Edge.Configuration;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// What <c>fleet-edge status</c> shows, written by the running agent to <c>&lt;data-dir&gt;/status.json</c> after every
/// recorded step (atomically, by an <see cref="AgentStatusWriter"/>), so the command never opens the agent's journal while the daemon holds it.
/// </summary>
public sealed record AgentStatus(string Device, DeviceTarget? Current, string? UpdateInProgress, IReadOnlyList<string> FailedTargets,
    int PendingReports, DateTimeOffset? LastCheckIn, string LastResult)
{
    public const string FileName = "status.json";
    private const int MaxBytes = 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static AgentStatus Of(string device, AgentState state, int pendingReports, string lastResult) =>
        new(device, state.Current, state.Update is { } u ? $"{u.Target.Name}: {u.Phase}" : null,
            state.FailedTargets.Order(StringComparer.Ordinal).ToArray(), pendingReports, state.LastCheckIn, lastResult);

    public static void Write(EdgeSettings settings, AgentStatus status) =>
        DeviceFiles.WriteAtomically(Path.Combine(settings.DataDirectory, FileName), JsonSerializer.Serialize(status, Json),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

    /// <summary>Null when the agent never ran in this data directory.</summary>
    public static AgentStatus? Read(EdgeSettings settings)
    {
        var path = Path.Combine(settings.DataDirectory, FileName);
        if (!File.Exists(path)) return null;
        if (new FileInfo(path).Length > MaxBytes) throw new IOException($"{path} is over {MaxBytes} bytes");
        return JsonSerializer.Deserialize<AgentStatus>(File.ReadAllBytes(path), Json);
    }
}
