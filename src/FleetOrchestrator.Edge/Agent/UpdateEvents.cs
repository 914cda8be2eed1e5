using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// The REFERENCE events of an update (pure). An event's id is derived from the correlation id, the type and the outcome,
/// so the same event queued again after a crash has the same id (the outbox and the gateway drop it).
/// </summary>
public static class UpdateEvents
{
    public static DeviceEvent Of(UpdateInProgress update, string type, bool? success, string? details, DateTimeOffset at)
    {
        if (details is { Length: > DeviceEventTypes.MaxDetailsLength }) details = details[..(DeviceEventTypes.MaxDetailsLength - 3)] + "...";
        var id = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{update.CorrelationId}|{type}|{success}"))[..16]);
        return new DeviceEvent(id.ToString(), at, new DeviceEventType(type),
            new DeviceEventBody(update.CorrelationId, update.Target.Name, update.Target.Version.ToString(CultureInfo.InvariantCulture), success, details));
    }

    /// <summary>The events queued when <paramref name="reached"/> is recorded (the closing ones go with their record instead).</summary>
    public static IEnumerable<DeviceEvent> OnReaching(UpdateInProgress update, UpdatePhase reached, DateTimeOffset at) => reached switch
    {
        UpdatePhase.Begun => [Of(update, DeviceEventTypes.DownloadStarted, null, null, at)],
        UpdatePhase.Fetched => [Of(update, DeviceEventTypes.DownloadCompleted, true, null, at), Of(update, DeviceEventTypes.InstallationStarted, null, null, at)],
        UpdatePhase.Started => [Of(update, DeviceEventTypes.InstallationApplied, null, null, at)],
        _ => [],
    };

    /// <summary>
    /// After a restart: the events <paramref name="update"/>'s recorded phase implies, in case they were queued but never
    /// stored. A rollback is known to have passed the fetch only.
    /// </summary>
    public static IEnumerable<DeviceEvent> ImpliedBy(UpdateInProgress update, DateTimeOffset at)
    {
        var reached = update.Phase == UpdatePhase.RollingBack ? UpdatePhase.Fetched : update.Phase;
        return Enum.GetValues<UpdatePhase>().Where(phase => phase <= reached).SelectMany(phase => OnReaching(update, phase, at));
    }
}
