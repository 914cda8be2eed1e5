using System.Globalization;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Revocations;
using FleetOrchestrator.ControlPlane.Registration;
using FleetOrchestrator.Protocol;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>
/// The <c>devices</c> palette: listings from the fleet table (never a fan-out to twins), one device's details
/// from its twin; revoke and delete: the twin records it, then the deny list singleton makes every gateway refuse it.
/// </summary>
public sealed class DevicesPaletteActor(FleetTable fleet, IActorRef twins, IActorRef denyList, TimeSpan askTimeout, TimeSpan offlineAfter, TimeProvider time)
    : PaletteActor(PaletteCatalog.Devices)
{
    public static readonly IReadOnlyList<string> ListColumns = ["device", "hardware id", "tag", "group", "target", "status", "apps", "last seen", "revoked"];

    /// <summary>Rows an <c>--offline</c> listing reads at most to find a page of offline devices.</summary>
    public const int MaxOfflineScan = 100_000;

    protected override void Execute(CommandInvocation invocation, CommandOutput output)
    {
        switch (invocation.Command.Name)
        {
            case "list":
                var limit = invocation.Integer("limit") ?? 100;
                if (limit is < 1 or > FleetQuery.MaxLimit)
                    throw new CommandFailedException(ErrorCodes.Usage, $"--limit must be 1..{FleetQuery.MaxLimit}, not {limit}", ExitCodes.Usage);
                if (invocation.String("status") is { } status && !DeviceStatuses.All.Contains(status))
                    throw new CommandFailedException(ErrorCodes.Usage, $"unknown status \"{status}\"; statuses: {string.Join(", ", DeviceStatuses.All.Order())}", ExitCodes.Usage);
                var query = new FleetQuery(invocation.String("tag"), invocation.String("group"), invocation.String("target"), invocation.String("status"),
                    invocation.String("after"), (int)limit);
                Run(output, () => ListAsync(query, invocation.Flag("offline"), output));
                return;
            case "show":
                Run(output, async () =>
                {
                    var details = await TwinAsync(invocation.Argument("device")!);
                    var r = details.Registration!;
                    var config = details.Config!;
                    output.Value(new
                    {
                        details.DeviceId, r.HardwareId, config.Tag, details.Group, config.Apps, details.OwnConfig, details.GroupConfig,
                        Registered = new { r.Tag, r.Group, r.Apps }, r.RegisteredAt, r.CertificateSha256,
                        details.CurrentTarget, details.Status, details.AppHealth, details.LastSeen, details.SystemInfo,
                        LastUpdate = details.Installs.Count == 0 ? null : details.Installs[^1].CorrelationId,
                        Revoked = details.Revocation, Deleted = details.Deletion,
                    });
                });
                return;
            case "updates":
                Run(output, async () =>
                {
                    var details = await TwinAsync(invocation.Argument("device")!);
                    if (invocation.Argument("correlation") is { } correlation)
                    {
                        var attempt = details.Installs.FirstOrDefault(i => i.CorrelationId == correlation)
                            ?? throw new CommandFailedException(ErrorCodes.NotFound, $"device {details.DeviceId} has no update \"{correlation}\" among its last {details.Installs.Count}");
                        output.Value(attempt);
                        return;
                    }
                    output.Table(["correlation id", "target", "version", "last event", "success", "started", "updated", "details"],
                        details.Installs.Reverse().Select(i => (IReadOnlyList<string?>)
                        [
                            i.CorrelationId, i.TargetName, i.Version, i.LastEventType, i.Success?.ToString().ToLowerInvariant(),
                            Time(i.StartedAt), Time(i.UpdatedAt), i.Details,
                        ]));
                });
                return;
            case "apps-states":
                Run(output, async () =>
                {
                    var details = await TwinAsync(invocation.Argument("device")!);
                    if (details.Apps is not { } apps)
                    {
                        output.Line($"device {details.DeviceId} has not reported app states");
                        return;
                    }
                    output.Line($"target {apps.TargetName ?? "(none)"}, reported {Time(apps.DeviceTime)} (device time)");
                    output.Table(["app", "state", "uri", "services"], apps.Apps.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => (IReadOnlyList<string?>)
                        [a.Key, a.Value.State, a.Value.Uri, string.Join(", ", a.Value.Services.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}: {s.Value}"))]));
                });
                return;
            case "config":
                var device = invocation.Argument("device")!;
                DeviceConfig? config = null;
                if (!invocation.Flag("clear")) config = DeviceConfigSwitches.Parse(invocation);
                else if (invocation.String("tag") is not null || invocation.String("apps") is not null)
                    throw new CommandFailedException(ErrorCodes.Usage, "--clear drops the device's own config; it takes no --tag or --apps", ExitCodes.Usage);
                Run(output, async () =>
                {
                    CheckName(device);
                    DeviceConfigured configured;
                    try
                    {
                        configured = await AskAccepted<DeviceConfigured>(twins, new ConfigureDevice(device, config), askTimeout);
                    }
                    catch (CommandFailedException e) when (e.Message.EndsWith("is not registered", StringComparison.Ordinal))
                    {
                        throw new CommandFailedException(ErrorCodes.NotFound, e.Message);
                    }
                    var source = configured.Source switch
                    {
                        DeviceConfigSource.Own => "its own config",
                        DeviceConfigSource.Group => $"the config of group {configured.Group}",
                        _ => "its registration",
                    };
                    output.Line($"device {device} follows {configured.Config} ({source}){(configured.Changed ? "" : "; nothing changed")}");
                });
                return;
            case "revoke":
                var revoked = invocation.Argument("device")!;
                Run(output, () => RevokeAsync(revoked, new RevokeDevice(revoked, invocation.String("reason")!, Operator), output));
                return;
            case "delete":
                var deleted = invocation.Argument("device")!;
                Run(output, () => RevokeAsync(deleted, new DeleteDevice(deleted, invocation.String("reason") ?? "deleted", Operator, invocation.Flag("release-name")), output));
                return;
            case "registration-token":
                RegistrationTokenCommand.Check(invocation);
                var singleton = ActorRegistry.For(Context.System).Get<RegistrationTokenActor>();
                Run(output, () => RegistrationTokenCommand.RotateAsync(singleton, askTimeout, output));
                return;
            default:
                NotImplemented(invocation, output);
                return;
        }
    }

    /// <summary>
    /// The twin records the revocation (or deletion), then the deny list takes the certificate current then and, unless
    /// released, the name. Both are idempotent: when the deny list does not answer, running the command again finishes it.
    /// </summary>
    private async Task RevokeAsync(string device, object command, CommandOutput output)
    {
        CheckName(device);
        DeviceRevocationAnswered answered;
        try
        {
            answered = await AskAccepted<DeviceRevocationAnswered>(twins, command, askTimeout);
        }
        catch (CommandFailedException e) when (e.Message.StartsWith("no device ", StringComparison.Ordinal))
        {
            throw new CommandFailedException(ErrorCodes.NotFound, e.Message);
        }
        DeviceDenied denied;
        try
        {
            denied = await AskAccepted<DeviceDenied>(denyList, new DenyDevice(device, answered.Revocation.CertificateSha256, answered.NameReserved), askTimeout);
        }
        catch (AskTimeoutException)
        {
            throw new CommandFailedException(ErrorCodes.Timeout, $"device {device}'s twin recorded it, but the deny list did not answer in time; run the command again to deny it on the gateways");
        }
        var r = answered.Revocation;
        var what = answered.Deletion is { } d ? $"deleted (by {d.By} at {Time(d.At)}; name {(d.NameReleased ? "released" : "reserved")}), " : "";
        output.Line($"device {device} {what}revoked by {r.By} at {Time(r.At)}: {r.Reason}{(answered.Changed ? "" : " (nothing changed)")}");
        output.Line($"every gateway refuses certificate {r.CertificateSha256}{(answered.NameReserved ? " and the name" : "")} (deny list revision {denied.Revision})");
    }

    private async Task ListAsync(FleetQuery query, bool offline, CommandOutput output)
    {
        var matching = await fleet.CountAsync(query);
        if (!offline)
        {
            var rows = await fleet.ListAsync(query);
            output.Table(ListColumns, rows.Select(Row));
            output.Line(Footer(rows.Count, $"{matching} matching", rows, query));
            return;
        }
        // The table has no last-seen index: page through the matching rows, keeping the offline ones.
        var cutoff = time.GetUtcNow() - offlineAfter;
        var found = new List<FleetRow>();
        var scanned = 0;
        var page = query with { Limit = FleetQuery.MaxLimit };
        while (found.Count < query.Limit && scanned < MaxOfflineScan)
        {
            var rows = await fleet.ListAsync(page);
            scanned += rows.Count;
            found.AddRange(rows.Where(r => r.LastSeen < cutoff).Take(query.Limit - found.Count));
            if (rows.Count < page.Limit) break;
            page = page with { After = rows[^1].DeviceId };
        }
        output.Table(ListColumns, found.Select(Row));
        output.Line(Footer(found.Count, $"not seen since {Time(cutoff)}, {scanned} of {matching} matching scanned", found, query));
    }

    private static string Footer(int shown, string detail, IReadOnlyList<FleetRow> rows, FleetQuery query) =>
        $"{shown} devices ({detail})" + (rows.Count == query.Limit ? $"; next page: --after {rows[^1].DeviceId}" : "");

    private static IReadOnlyList<string?> Row(FleetRow r) =>
        [r.DeviceId, r.HardwareId, r.Tag, r.Group, r.CurrentTarget, r.Status, r.AppHealth, Time(r.LastSeen),
            r.Revocation is { } revoked ? $"{Time(revoked.At)} by {revoked.By}: {revoked.Reason}" : null];

    /// <summary>A name no device can have (the gateway's registration rule) is refused without asking (and so starting) a twin.</summary>
    private static void CheckName(string device)
    {
        if (!Names.Device.IsMatch(device))
            throw new CommandFailedException(ErrorCodes.NotFound, $"no device \"{(device.Length > 63 ? device[..63] + "..." : device)}\" is registered (device names are {Names.Device.Description})");
    }

    private async Task<DeviceDetails> TwinAsync(string device)
    {
        CheckName(device);
        var details = await twins.Ask<DeviceDetails>(new GetDevice(device), askTimeout);
        return details.Registration is null ? throw new CommandFailedException(ErrorCodes.NotFound, $"no device \"{device}\" is registered") : details;
    }

    private static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";
}
