using System.Text.Json;
using Akka.Actor;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Protocol.DeviceApi;
using Microsoft.AspNetCore.Mvc;

namespace FleetOrchestrator.Node.Gateway;

/// <summary><c>POST /events</c> answer: events new to the twin, and events it had already recorded (a resent batch).</summary>
public sealed record EventsAccepted(int Recorded, int Duplicates);

/// <summary><c>POST /apps-states</c> and <c>PUT /system_info</c> answer: whether the report changed what the twin holds.</summary>
public sealed record ReportAccepted(bool Changed);

public static partial class GatewayEndpoints
{
    /// <summary>The device reports: validated whole, then handed to the device's twin (the certificate's device, never another).</summary>
    private static void MapReports(WebApplication app, GatewayContext gateway)
    {
        app.MapPost("/events", (HttpContext context) => ReportAsync<List<DeviceEvent?>>(context, gateway, "invalid-events", DeviceReportValidator.Events,
                (device, events, now) => new RecordDeviceEvents(device, events.Cast<DeviceEvent>().ToList(), now),
                answer => answer is DeviceEventsRecorded recorded ? new EventsAccepted(recorded.Recorded, recorded.Duplicates) : null))
            .WithMetadata(new RequestSizeLimitAttribute(MaxEventsBytes));
        app.MapPost("/apps-states", (HttpContext context) => ReportAsync<AppsStatesReport>(context, gateway, "invalid-apps-states", DeviceReportValidator.AppsStates,
                (device, report, now) => new RecordAppsStates(device, report, now),
                answer => answer is DeviceReportRecorded recorded ? new ReportAccepted(recorded.Changed) : null))
            .WithMetadata(new RequestSizeLimitAttribute(MaxRequestBytes));
        app.MapPut("/system_info", (HttpContext context) => ReportAsync<SystemInfoReport>(context, gateway, "invalid-system-info", DeviceReportValidator.SystemInfo,
                (device, info, now) => new RecordSystemInfo(device, info, now),
                answer => answer is DeviceReportRecorded recorded ? new ReportAccepted(recorded.Changed) : null))
            .WithMetadata(new RequestSizeLimitAttribute(MaxSystemInfoBytes));
    }

    /// <summary>Reads and validates the body, asks the twin to record it, answers 200 with <paramref name="accepted"/> or a JSON error.</summary>
    private static async Task ReportAsync<TBody>(HttpContext context, GatewayContext gateway, string invalidCode, Func<TBody?, string?> validate,
        Func<string, TBody, DateTimeOffset, object> command, Func<object, object?> accepted) where TBody : class
    {
        TBody? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<TBody>(context.Request.Body, DeviceApiJson.Options, context.RequestAborted);
        }
        catch (JsonException e)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid-json", $"the body is not valid JSON of the expected shape: {e.Message}");
            return;
        }
        if (validate(body) is { } problem)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, invalidCode, problem);
            return;
        }
        var device = Device(context);
        var twins = await gateway.DeviceTwins.GetAsync(context.RequestAborted);
        var answer = await twins.Ask<object>(command(device.Name, body!, DateTimeOffset.UtcNow), TwinTimeout, context.RequestAborted);
        if (accepted(answer) is { } ok)
        {
            await context.Response.WriteAsJsonAsync(ok, ok.GetType(), DeviceApiJson.Options, context.RequestAborted);
            return;
        }
        var reason = answer is DeviceReportRefused refused ? refused.Reason : $"unexpected answer {answer.GetType().Name}";
        await ErrorAsync(context, StatusCodes.Status409Conflict, "report-refused", reason);
    }
}
