using System.Text.Json.Nodes;

namespace FleetOrchestrator.Protocol.DeviceApi;

/// <summary>Fields of a TUF target's <c>custom</c> that the control plane writes and devices act on, beyond the REFERENCE ones.</summary>
public static class TargetCustom
{
    /// <summary>
    /// Present (a text saying why) when the factory withdrew the target: devices never install it, and one running it
    /// goes back to the newest target it may run even when that is a lower version.
    /// </summary>
    public const string Withdrawn = "withdrawn";

    /// <summary>Why the target was withdrawn, or null when it was not (absent or JSON null).</summary>
    public static string? WithdrawnReason(JsonObject? custom) => custom?[Withdrawn]?.ToString();
}
