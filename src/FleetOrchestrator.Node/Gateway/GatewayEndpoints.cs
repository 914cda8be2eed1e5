using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Groups;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Tuf.Repository;
using Microsoft.AspNetCore.Mvc;

namespace FleetOrchestrator.Node.Gateway;

/// <summary><c>POST /devices</c> body; <see cref="Group"/> and <see cref="Apps"/> (app selection: null = all, empty = none) are optional.</summary>
public sealed record RegistrationRequest(string? Token, string? Name, string? Csr, string? HardwareId, string? Tag, string? Group = null, IReadOnlyList<string>? Apps = null);

/// <summary><c>POST /devices</c> answer: the device certificate, the CA that signs it (and the gateway's), the trusted root, and where to connect.</summary>
public sealed record RegistrationResponse(string Name, string Certificate, string CaCertificate, string Root, string GatewayUrl);

/// <summary>Every gateway error, as JSON.</summary>
public sealed record GatewayError(string Error, string Message);

/// <summary>A registered device as the gateway knows it: its registration, the repository view it is served and the config an operator set (null: none).</summary>
public sealed record GatewayDevice(string Name, DeviceRegistration Registration, string View, DeviceConfig? Config);

/// <summary>
/// What the gateway needs: the CA, the registration token, the device twins (through sharding), the device groups
/// singleton (told of registrations into a group), the metadata cache, its public URL and its limits.
/// </summary>
public sealed record GatewayContext(DeviceCa Ca, string RegistrationToken, byte[] TrustedRoot, IRequiredActor<DeviceTwinActor> DeviceTwins,
    IRequiredActor<DeviceGroupsActor> DeviceGroups, MetadataCache Cache, string GatewayUrl, GatewayLimits Limits)
{
    /// <summary>Devices already fetched from twins; registrations never change, and views and configs changed since are in <see cref="Views"/>.</summary>
    public ConcurrentDictionary<string, GatewayDevice> Devices { get; } = new(StringComparer.Ordinal);

    /// <summary>Views (waves) and configs (operators) changed after devices were fetched, fed by <see cref="DeviceViewsActor"/>.</summary>
    public DeviceViews Views { get; init; } = new();

    /// <summary>
    /// The device each TLS connection authenticated as, keyed by the connection's client certificate object (one per
    /// connection, gone with it): the chain is built once per connection, not once per keep-alive request.
    /// </summary>
    public ConditionalWeakTable<X509Certificate2, GatewayDevice> Connections { get; } = new();

    /// <summary>When each device's check-in was last passed to its twin (ticks), so a twin hears of check-ins once per last-seen resolution.</summary>
    public ConcurrentDictionary<string, long> SeenToldAt { get; } = new(StringComparer.Ordinal);
}

/// <summary>Per-device request rate (token bucket) and how often a check-in reaches the twin.</summary>
public sealed record GatewayLimits(double RequestsPerSecond = 5, int Burst = 60, TimeSpan? SeenResolution = null)
{
    public TimeSpan LastSeenResolution => SeenResolution ?? TimeSpan.FromMinutes(15);
}

public static partial class GatewayEndpoints
{
    /// <summary>Body limit of registration, <c>/apps-states</c> and anything without its own.</summary>
    public const int MaxRequestBytes = 64 * 1024;
    /// <summary>Body limit of <c>/events</c>: a full batch of events with maximal details.</summary>
    public const int MaxEventsBytes = 512 * 1024;
    public const int MaxSystemInfoBytes = 16 * 1024;
    private const string DeviceItem = "fleet.device";
    private static readonly TimeSpan TwinTimeout = TimeSpan.FromSeconds(10);

    public static void Map(WebApplication app, GatewayContext gateway)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                await ErrorAsync(context, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "request-too-large" : "bad-request", e.Message);
            }
            catch (AskTimeoutException) when (!context.Response.HasStarted)
            {
                await ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "twin-unavailable", "the device's twin did not answer in time; try again later");
            }
        });
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/devices") && HttpMethods.IsPost(context.Request.Method))
            {
                await next(context);
                return;
            }
            var device = await AuthenticateAsync(context, gateway);
            if (device is null) return;
            context.Items[DeviceItem] = device;
            await TellSeenAsync(gateway, device.Name);
            await next(context);
        });
        app.UseRateLimiter();

        app.MapPost("/devices", (HttpContext context) => RegisterAsync(context, gateway)).WithMetadata(new RequestSizeLimitAttribute(MaxRequestBytes));
        app.MapGet("/repo/{**path}", (HttpContext context, string path) => ServeRepository(context, gateway.Cache, Device(context), gateway.Views, path));
        app.MapGet("/config", (HttpContext context) => ServeConfig(context, gateway.Views.Of(Device(context)).Config));
        MapReports(app, gateway);
    }

    private static GatewayDevice Device(HttpContext context) => (GatewayDevice)context.Items[DeviceItem]!;

    /// <summary>The device name requests are rate-limited by, or null for registration (no device yet).</summary>
    internal static string? RateLimitKey(HttpContext context) => context.Items.TryGetValue(DeviceItem, out var device) ? ((GatewayDevice)device!).Name : null;

    /// <summary>Passes a check-in to the twin when the last one it heard of is at least the last-seen resolution old: most check-ins touch no actor.</summary>
    private static async Task TellSeenAsync(GatewayContext gateway, string name)
    {
        var now = DateTimeOffset.UtcNow;
        var told = gateway.SeenToldAt.GetValueOrDefault(name);
        if (now.UtcTicks - told < gateway.Limits.LastSeenResolution.Ticks) return;
        gateway.SeenToldAt[name] = now.UtcTicks;
        (await gateway.DeviceTwins.GetAsync()).Tell(new DeviceSeen(name, now));
    }

    /// <summary>The device behind the client certificate, or null after writing 401/403.</summary>
    private static async Task<GatewayDevice?> AuthenticateAsync(HttpContext context, GatewayContext gateway)
    {
        var certificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted);
        if (certificate is null)
        {
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, "certificate-required", "this endpoint needs the device's client certificate (mutual TLS)");
            return null;
        }
        if (gateway.Connections.TryGetValue(certificate, out var authenticated) && DateTime.UtcNow < certificate.NotAfter.ToUniversalTime())
            return authenticated;
        if (!gateway.Ca.Issued(certificate, out var problem))
        {
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, "certificate-untrusted", $"the client certificate was not issued by this factory's device CA: {problem}");
            return null;
        }
        var name = certificate.SubjectName.GetCommonName() ?? "";
        var device = DeviceNames.Pattern().IsMatch(name) ? await DeviceOfAsync(gateway, name) : null;
        if (device is null || device.Registration.CertificateSha256 != Fingerprint(certificate))
        {
            await ErrorAsync(context, StatusCodes.Status403Forbidden, "device-unknown", $"no registered device \"{name}\" holds this certificate");
            return null;
        }
        gateway.Connections.AddOrUpdate(certificate, device);
        return device;
    }

    private static async Task<GatewayDevice?> DeviceOfAsync(GatewayContext gateway, string name)
    {
        if (gateway.Devices.TryGetValue(name, out var cached)) return cached;
        var twins = await gateway.DeviceTwins.GetAsync();
        var state = (await twins.Ask<DeviceView>(new GetDevice(name), TwinTimeout)).State;
        if (state is not { Registration: { } registration } || state.ServedView() is not { } view) return null;
        return gateway.Devices[name] = new GatewayDevice(name, registration, view, state.OperatorConfig());
    }

    private static async Task RegisterAsync(HttpContext context, GatewayContext gateway)
    {
        RegistrationRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<RegistrationRequest>(context.Request.Body, JsonSerializerOptions.Web, context.RequestAborted);
        }
        catch (JsonException e)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid-json", $"the body is not a registration request: {e.Message}");
            return;
        }
        if (request?.Token is not { } token || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(gateway.RegistrationToken)))
        {
            await ErrorAsync(context, StatusCodes.Status403Forbidden, "token-invalid", "the registration token is missing or wrong");
            return;
        }
        var tag = request.Tag ?? "main";
        var hardwareId = request.HardwareId ?? "generic";
        var invalid = request.Name is not { } name || !DeviceNames.Pattern().IsMatch(name) ? $"invalid device name \"{request.Name}\": use 1-63 of a-z 0-9 - starting with a letter or digit"
            : !DeviceConfig.TagPattern().IsMatch(hardwareId) ? $"invalid hardware id \"{hardwareId}\": use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit"
            : request.Group is { } group && !DeviceConfig.TagPattern().IsMatch(group) ? $"invalid group \"{group}\": use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit"
            : new DeviceConfig(tag, request.Apps).Problem is { } problem ? problem
            : request.Csr is null ? "the CSR (PEM) is missing"
            : null;
        if (invalid is not null)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid-request", invalid);
            return;
        }
        X509Certificate2 certificate;
        try
        {
            certificate = gateway.Ca.IssueDeviceCertificate(request.Name!, request.Csr!);
        }
        catch (DeviceCaException e)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid-csr", e.Message);
            return;
        }
        using (certificate)
        {
            var twins = await gateway.DeviceTwins.GetAsync(context.RequestAborted);
            var answer = await twins.Ask(new RegisterDevice(request.Name!, hardwareId, tag, Fingerprint(certificate), request.Group, request.Apps?.Distinct(StringComparer.Ordinal).ToList()), TwinTimeout);
            if (answer is DeviceRegistrationRefused refused)
            {
                await ErrorAsync(context, StatusCodes.Status409Conflict, "device-exists", refused.Reason);
                return;
            }
            // Its group's config (when the group has one) reaches its twin from the groups singleton.
            if (request.Group is { } joined) (await gateway.DeviceGroups.GetAsync(context.RequestAborted)).Tell(new DeviceJoinedGroup(request.Name!, joined));
            context.Response.StatusCode = StatusCodes.Status201Created;
            await context.Response.WriteAsJsonAsync(new RegistrationResponse(request.Name!, certificate.ExportCertificatePem() + "\n",
                gateway.Ca.CertificatePem, Encoding.UTF8.GetString(gateway.TrustedRoot), gateway.GatewayUrl), context.RequestAborted);
        }
    }

    /// <summary>The standard TUF HTTP layout of the device's view, from the cache, with ETags.</summary>
    private static IResult ServeRepository(HttpContext context, MetadataCache cache, GatewayDevice device, DeviceViews views, string path)
    {
        if (!cache.IsLoaded)
        {
            // Right after start the target registry has not answered yet: a 404 would tell the device a file does not exist.
            context.Response.Headers.RetryAfter = "5";
            return Results.Json(new GatewayError("metadata-loading", "the gateway has not loaded the repository metadata yet; try again shortly"),
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        var rootMatch = RootFilePattern().Match(path);
        var (view, _, tag) = views.Of(device);
        var file = rootMatch.Success
            ? int.TryParse(rootMatch.Groups[1].Value, out var version) ? cache.Root(version) : null
            : cache.File(tag, ServedView(cache, tag, view), path);
        if (file is null)
            return Results.Json(new GatewayError("not-found", $"no {path} in the repository of tag {tag}"), statusCode: StatusCodes.Status404NotFound);
        return Cached(context, file.ETag, file.Content, path.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "application/octet-stream");
    }

    /// <summary>
    /// The config an operator set for the device (its own, else its group's) with an ETag; 204 when there is none: the
    /// device follows what it registered with, i.e. its own edge.conf.
    /// </summary>
    private static IResult ServeConfig(HttpContext context, DeviceConfig? config)
    {
        if (config is null) return Results.NoContent();
        var json = JsonSerializer.SerializeToUtf8Bytes(config, DeviceApiJson.Options);
        return Cached(context, $"\"{Convert.ToHexStringLower(SHA256.HashData(json))[..32]}\"", json, "application/json");
    }

    private static IResult Cached(HttpContext context, string etag, byte[] content, string contentType)
    {
        context.Response.Headers.ETag = etag;
        context.Response.Headers.CacheControl = "no-cache";
        if (context.Request.Headers.IfNoneMatch.Contains(etag)) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(content, contentType);
    }

    /// <summary>
    /// The device's view; production when that view is gone — a wave just ended and the device's move back is still
    /// on its way. Production was signed above the ended view's version then, so the device's TUF client takes it.
    /// </summary>
    private static string ServedView(MetadataCache cache, string tag, string view) => cache.HasView(tag, view) ? view : TufRepository.ProductionView;

    private static Task ErrorAsync(HttpContext context, int status, string error, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new GatewayError(error, message), context.RequestAborted);
    }

    private static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    [GeneratedRegex("^([1-9][0-9]{0,8})\\.root\\.json$")]
    private static partial Regex RootFilePattern();
}
