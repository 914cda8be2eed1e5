using System.Text.RegularExpressions;
using FleetOrchestrator.Protocol;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>
/// Checks the bodies devices report (REFERENCE event format) before anything reaches a twin: each check
/// returns null when the body is acceptable, else one message naming the first offending element and field.
/// A batch is accepted or refused whole.
/// </summary>
public static partial class DeviceReportValidator
{
    public const int MaxEventsPerBatch = 100;
    public const int MaxApps = 64;
    public const int MaxServicesPerApp = 64;
    public const int MaxTextLength = 256;
    public const int MaxUriLength = 512;

    private static readonly IReadOnlySet<string> KnownAppStates = new HashSet<string>(StringComparer.Ordinal)
        { AppStates.Healthy, AppStates.Unhealthy, AppStates.Starting, AppStates.Stopped };

    public static string? Events(IReadOnlyList<DeviceEvent?>? events)
    {
        if (events is null) return "the body must be a JSON array of events";
        if (events.Count is 0 or > MaxEventsPerBatch) return $"a batch holds 1..{MaxEventsPerBatch} events; this one holds {events.Count}";
        for (var i = 0; i < events.Count; i++)
        {
            if (Event(events[i]) is { } problem)
                return $"events[{i}]{(events[i]?.Id is { } id && EventIdPattern().IsMatch(id) ? $" (id {id})" : "")}: {problem}";
        }
        return null;
    }

    private static string? Event(DeviceEvent? e)
    {
        if (e is null) return "is null";
        if (e.Id is null || !EventIdPattern().IsMatch(e.Id)) return $"id \"{e.Id}\" is not 1-64 of A-Z a-z 0-9 . _ : -";
        if (e.DeviceTime == default) return "deviceTime is missing";
        if (e.EventType?.Id is not { } type) return "eventType.id is missing";
        if (!DeviceEventTypes.All.Contains(type))
            return $"unknown event type \"{Shorten(type)}\"; known: {string.Join(", ", DeviceEventTypes.All.Order(StringComparer.Ordinal))}";
        if (e.Event is not { } body) return "event is missing";
        if (body.CorrelationId is null || !CorrelationIdPattern().IsMatch(body.CorrelationId))
            return $"correlationId \"{Shorten(body.CorrelationId)}\" is not <version>-<uuid>";
        if (body.TargetName is null || !TargetNamePattern().IsMatch(body.TargetName))
            return $"targetName \"{Shorten(body.TargetName)}\" is not 1-128 of A-Z a-z 0-9 . _ + -";
        if (body.Version is null || !VersionPattern().IsMatch(body.Version))
            return $"version \"{Shorten(body.Version)}\" is not 1-64 of A-Z a-z 0-9 . _ + -";
        if (body.Details is { Length: > DeviceEventTypes.MaxDetailsLength } details)
            return $"details is {details.Length} characters, over the {DeviceEventTypes.MaxDetailsLength}-character limit";
        if (type is DeviceEventTypes.DownloadCompleted or DeviceEventTypes.InstallationCompleted && body.Success is null)
            return $"{type} must carry success";
        return null;
    }

    public static string? AppsStates(AppsStatesReport? report)
    {
        if (report is null) return "the body must be a JSON apps-states object";
        if (report.DeviceTime == default) return "deviceTime is missing";
        if (report.TargetName is { } target && !TargetNamePattern().IsMatch(target))
            return $"targetName \"{Shorten(target)}\" is not 1-128 of A-Z a-z 0-9 . _ + -";
        if (report.Apps is null) return "apps is missing";
        if (report.Apps.Count > MaxApps) return $"apps lists {report.Apps.Count} apps, over the limit of {MaxApps}";
        foreach (var (name, app) in report.Apps)
        {
            if (Names.App.Problem(name) is { } invalid) return invalid;
            if (app is null) return $"apps.{name} is null";
            if (app.Uri is not { Length: > 0 and <= MaxUriLength }) return $"apps.{name}.uri must be 1..{MaxUriLength} characters";
            if (app.State is null || !KnownAppStates.Contains(app.State))
                return $"apps.{name}.state \"{Shorten(app.State)}\" is not one of {string.Join(", ", KnownAppStates.Order(StringComparer.Ordinal))}";
            if (app.Services is null) return $"apps.{name}.services is missing";
            if (app.Services.Count > MaxServicesPerApp) return $"apps.{name}.services lists {app.Services.Count} services, over the limit of {MaxServicesPerApp}";
            foreach (var (service, reason) in app.Services)
            {
                if (service is not { Length: > 0 and <= 64 }) return $"apps.{name}.services: service name \"{Shorten(service)}\" must be 1..64 characters";
                if (reason is not { Length: <= MaxTextLength }) return $"apps.{name}.services.{service} must be a string of at most {MaxTextLength} characters";
            }
        }
        return null;
    }

    public static string? SystemInfo(SystemInfoReport? info)
    {
        if (info is null) return "the body must be a JSON system_info object";
        foreach (var (field, value, required) in new[]
                 {
                     ("agentVersion", info.AgentVersion, true), ("os", info.Os, true), ("architecture", info.Architecture, true),
                     ("dockerVersion", info.DockerVersion, false), ("composeCommand", info.ComposeCommand, false),
                 })
        {
            if (value is null ? required : value.Length is 0 or > MaxTextLength)
                return $"{field} must be {(required ? "" : "absent or ")}1..{MaxTextLength} characters";
        }
        return null;
    }

    private static string? Shorten(string? text) => text is { Length: > 80 } ? text[..80] + "…" : text;

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    private static partial Regex EventIdPattern();

    /// <summary><c>&lt;version&gt;-&lt;uuid&gt;</c> (REFERENCE): the version of the target, a dash, a UUID.</summary>
    [GeneratedRegex("^[A-Za-z0-9._+-]{1,64}-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex CorrelationIdPattern();

    [GeneratedRegex("^[A-Za-z0-9._+-]{1,128}$")]
    private static partial Regex TargetNamePattern();

    [GeneratedRegex("^[A-Za-z0-9._+-]{1,64}$")]
    private static partial Regex VersionPattern();
}
