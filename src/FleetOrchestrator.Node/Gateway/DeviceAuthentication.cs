using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>A registered device as the gateway knows it: the name its certificate carries and what it registered with.</summary>
public sealed record GatewayDevice(string Name, DeviceRegistration Registration);

/// <summary>
/// Who sends a request (every endpoint but registration): the client certificate, checked against the device CA and the
/// registration its twin holds (<see cref="DeviceDirectory"/>: the current certificate, or a renewed one on its first use), once
/// per TLS connection and again when a renewal replaced it; and the check-in, passed to the twin once per last-seen
/// resolution. A check-in on an open connection touches no actor and takes no lock.
/// </summary>
public sealed class DeviceAuthentication(DeviceCa ca, IRequiredActor<DeviceTwinActor> twins, DeviceDirectory directory, GatewaySettings settings)
{
    private const string DeviceItem = "fleet.device";

    /// <summary>
    /// The device each TLS connection authenticated as, keyed by the connection's client certificate object (one per
    /// connection, gone with it): the chain is built once per connection, not once per keep-alive request.
    /// </summary>
    private readonly ConditionalWeakTable<X509Certificate2, GatewayDevice> _connections = new();

    /// <summary>When each device's check-in was last passed to its twin (ticks), so a twin hears of check-ins once per last-seen resolution.</summary>
    private readonly ConcurrentDictionary<string, long> _seenToldAt = new(StringComparer.Ordinal);

    /// <summary>The authenticated device of a request past <see cref="InvokeAsync"/>.</summary>
    public static GatewayDevice Device(HttpContext context) => (GatewayDevice)context.Items[DeviceItem]!;

    /// <summary>The device name requests are rate-limited by, or null for registration (no device yet).</summary>
    public static string? RateLimitKey(HttpContext context) => context.Items.TryGetValue(DeviceItem, out var device) ? ((GatewayDevice)device!).Name : null;

    /// <summary>The middleware: registration passes; any other request goes on only from an authenticated device.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Request.Path.StartsWithSegments("/devices") && HttpMethods.IsPost(context.Request.Method))
        {
            await next(context);
            return;
        }
        var device = await AuthenticateAsync(context);
        if (device is null) return;
        context.Items[DeviceItem] = device;
        await TellSeenAsync(device.Name);
        await next(context);
    }

    /// <summary>Passes a check-in to the twin when the last one it heard of is at least the last-seen resolution old: most check-ins touch no actor.</summary>
    private async Task TellSeenAsync(string name)
    {
        var now = DateTimeOffset.UtcNow;
        var told = _seenToldAt.GetValueOrDefault(name);
        if (now.UtcTicks - told < settings.LastSeenResolution.Ticks) return;
        _seenToldAt[name] = now.UtcTicks;
        (await twins.GetAsync()).Tell(new DeviceSeen(name, now));
    }

    /// <summary>The device behind the client certificate, or null after writing 401/403.</summary>
    private async Task<GatewayDevice?> AuthenticateAsync(HttpContext context)
    {
        var certificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted);
        if (certificate is null)
        {
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status401Unauthorized, "certificate-required", "this endpoint needs the device's client certificate (mutual TLS)");
            return null;
        }
        // A connection authenticated before goes on while its certificate is the device's current one (not replaced by a renewal).
        if (_connections.TryGetValue(certificate, out var authenticated) && DateTime.UtcNow < certificate.NotAfter.ToUniversalTime() && directory.IsCurrent(authenticated))
            return authenticated;
        if (!ca.Issued(certificate, out var problem))
        {
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status401Unauthorized, "certificate-untrusted", $"the client certificate was not issued by this factory's device CA: {problem}");
            return null;
        }
        var name = certificate.SubjectName.GetCommonName() ?? "";
        var device = Names.Device.IsMatch(name) ? await directory.AuthenticateAsync(name, GatewayEndpoints.Fingerprint(certificate), context.RequestAborted) : null;
        if (device is null)
        {
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status403Forbidden, "device-unknown", $"no registered device \"{name}\" holds this certificate");
            return null;
        }
        _connections.AddOrUpdate(certificate, device);
        return device;
    }
}
