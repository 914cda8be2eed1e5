using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Protocol.DeviceApi;
using Microsoft.AspNetCore.Mvc;

namespace FleetOrchestrator.Node.Gateway;

/// <summary><c>POST /events</c> answer: events new to the twin, and events it had already recorded (a resent batch).</summary>
public sealed record EventsAccepted(int Recorded, int Duplicates);

/// <summary><c>POST /apps-states</c> and <c>PUT /system_info</c> answer: whether the report changed what the twin holds.</summary>
public sealed record ReportAccepted(bool Changed);

/// <summary>The device reports: validated whole, then handed to the device's twin (the certificate's device, never another).</summary>
public sealed class ReportEndpoints(IRequiredActor<DeviceTwinActor> twins)
{
    public void Map(WebApplication app)
    {
        app.MapPost("/events", (HttpContext context) => ReportAsync<List<DeviceEvent?>>(context, "invalid-events", DeviceReportValidator.Events,
                (device, events, now) => new RecordDeviceEvents(device, events.Cast<DeviceEvent>().ToList(), now),
                answer => answer is DeviceEventsRecorded recorded ? new EventsAccepted(recorded.Recorded, recorded.Duplicates) : null))
            .WithMetadata(new RequestSizeLimitAttribute(GatewayEndpoints.MaxEventsBytes));
        app.MapPost("/apps-states", (HttpContext context) => ReportAsync<AppsStatesReport>(context, "invalid-apps-states", DeviceReportValidator.AppsStates,
                (device, report, now) => new RecordAppsStates(device, report, now),
                answer => answer is DeviceReportRecorded recorded ? new ReportAccepted(recorded.Changed) : null))
            .WithMetadata(new RequestSizeLimitAttribute(GatewayEndpoints.MaxRequestBytes));
        app.MapPut("/system_info", (HttpContext context) => ReportAsync<SystemInfoReport>(context, "invalid-system-info", DeviceReportValidator.SystemInfo,
                (device, info, now) => new RecordSystemInfo(device, info, now),
                answer => answer is DeviceReportRecorded recorded ? new ReportAccepted(recorded.Changed) : null))
            .WithMetadata(new RequestSizeLimitAttribute(GatewayEndpoints.MaxSystemInfoBytes));
    }

    /// <summary>Checks the body is JSON (else 415), reads and validates it, asks the twin to record it, answers 200 with <paramref name="accepted"/> or a JSON error.</summary>
    private async Task ReportAsync<TBody>(HttpContext context, string invalidCode, Func<TBody?, string?> validate,
        Func<string, TBody, DateTimeOffset, object> command, Func<object, object?> accepted) where TBody : class
    {
        if (!context.Request.HasJsonContentType())
        {
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type",
                $"a report is JSON (Content-Type: application/json), not {context.Request.ContentType ?? "a body without a content type"}");
            return;
        }
        var (read, body) = await GatewayEndpoints.ReadJsonAsync<TBody>(context, DeviceApiJson.Options, "valid JSON of the expected shape");
        if (!read) return;
        if (validate(body) is { } problem)
        {
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status400BadRequest, invalidCode, problem);
            return;
        }
        var device = DeviceAuthentication.Device(context);
        var answer = await (await twins.GetAsync(context.RequestAborted)).Ask<object>(command(device.Name, body!, DateTimeOffset.UtcNow), GatewayEndpoints.TwinTimeout, context.RequestAborted);
        if (accepted(answer) is { } ok)
        {
            await context.Response.WriteAsJsonAsync(ok, ok.GetType(), DeviceApiJson.Options, context.RequestAborted);
            return;
        }
        var reason = answer is Refused refused ? refused.Reason : $"unexpected answer {answer.GetType().Name}";
        await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status409Conflict, "report-refused", reason);
    }
}
