namespace FleetOrchestrator.ControlPlane.Devices;

/// <summary>What revoking or deleting a device needs checked, and how a revoked name is refused: pure, beside <see cref="DeviceTwinState"/>.</summary>
public static class DeviceRevocationDecisions
{
    public const int MaxReasonLength = 500;

    /// <summary>Why the twin cannot revoke or delete: another device's command, no registration, or a bad reason; null when it can.</summary>
    public static string? Problem(DeviceTwinState state, string deviceId, string reason) =>
        deviceId != state.DeviceId ? $"command for device \"{deviceId}\" reached the twin of \"{state.DeviceId}\""
        : state.Registration is null ? $"no device \"{state.DeviceId}\" is registered"
        : ReasonProblem(reason);

    /// <summary>A reason is what operators read later in <c>devices show</c>: 1..500 characters, one line.</summary>
    public static string? ReasonProblem(string reason) =>
        string.IsNullOrWhiteSpace(reason) ? "the reason is empty; say why the device is revoked"
        : reason.Length > MaxReasonLength ? $"the reason is {reason.Length} characters, over the {MaxReasonLength}-character limit"
        : reason.Any(char.IsControl) ? "the reason holds a control character (a line break?); give one line"
        : null;

    /// <summary>The refusal of a registration under a revoked name.</summary>
    public static string NameRevoked(string deviceId, DeviceRevocation revocation) =>
        $"the device name \"{deviceId}\" is revoked (since {revocation.At:u}, by {revocation.By}: {revocation.Reason}); " +
        $"'pbm devices delete {deviceId} --release-name' frees it for a new device";
}
