using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.Node.Gateway;

/// <summary><c>POST /devices</c> body.</summary>
public sealed record RegistrationRequest(string? Token, string? Name, string? Csr, string? HardwareId, string? Tag);

/// <summary><c>POST /devices</c> answer: the device certificate, the CA that signs it (and the gateway's), the trusted root, and where to connect.</summary>
public sealed record RegistrationResponse(string Name, string Certificate, string CaCertificate, string Root, string GatewayUrl);

/// <summary>Every gateway error, as JSON.</summary>
public sealed record GatewayError(string Error, string Message);

/// <summary>What the gateway needs: the CA, the registration token, the device twins (through sharding), the metadata cache and its public URL.</summary>
public sealed record GatewayContext(DeviceCa Ca, string RegistrationToken, byte[] TrustedRoot, IRequiredActor<DeviceTwinActor> DeviceTwins, MetadataCache Cache, string GatewayUrl)
{
    /// <summary>Registrations already fetched from twins; registrations never change in this version, so entries stay valid.</summary>
    public ConcurrentDictionary<string, DeviceRegistration> Registrations { get; } = new(StringComparer.Ordinal);
}

public static partial class GatewayEndpoints
{
    public const int MaxRequestBytes = 64 * 1024;
    private const string DeviceItem = "fleet.device";
    private static readonly TimeSpan TwinTimeout = TimeSpan.FromSeconds(10);

    public static void Map(WebApplication app, GatewayContext gateway)
    {
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
            await next(context);
        });

        app.MapPost("/devices", (HttpContext context) => RegisterAsync(context, gateway));
        app.MapGet("/repo/{**path}", (HttpContext context, string path) => ServeRepository(context, gateway.Cache, (DeviceRegistration)context.Items[DeviceItem]!, path));
    }

    /// <summary>The device behind the client certificate, or null after writing 401/403.</summary>
    private static async Task<DeviceRegistration?> AuthenticateAsync(HttpContext context, GatewayContext gateway)
    {
        var certificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted);
        if (certificate is null)
        {
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, "certificate-required", "this endpoint needs the device's client certificate (mutual TLS)");
            return null;
        }
        if (!gateway.Ca.Issued(certificate, out var problem))
        {
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, "certificate-untrusted", $"the client certificate was not issued by this factory's device CA: {problem}");
            return null;
        }
        var name = certificate.SubjectName.GetCommonName() ?? "";
        var device = DeviceNamePattern().IsMatch(name) ? await RegistrationOfAsync(gateway, name) : null;
        if (device is null || device.CertificateSha256 != Fingerprint(certificate))
        {
            await ErrorAsync(context, StatusCodes.Status403Forbidden, "device-unknown", $"no registered device \"{name}\" holds this certificate");
            return null;
        }
        return device;
    }

    private static async Task<DeviceRegistration?> RegistrationOfAsync(GatewayContext gateway, string name)
    {
        if (gateway.Registrations.TryGetValue(name, out var cached)) return cached;
        var twins = await gateway.DeviceTwins.GetAsync();
        var view = await twins.Ask<DeviceView>(new GetDevice(name), TwinTimeout);
        if (view.Registration is { } registration) gateway.Registrations[name] = registration;
        return view.Registration;
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
        var invalid = request.Name is not { } name || !DeviceNamePattern().IsMatch(name) ? $"invalid device name \"{request.Name}\": use 1-63 of a-z 0-9 - starting with a letter or digit"
            : !TagPattern().IsMatch(tag) ? $"invalid tag \"{tag}\": use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit"
            : !TagPattern().IsMatch(hardwareId) ? $"invalid hardware id \"{hardwareId}\": use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit"
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
            var answer = await twins.Ask(new RegisterDevice(request.Name!, hardwareId, tag, Fingerprint(certificate)), TwinTimeout);
            if (answer is DeviceRegistrationRefused refused)
            {
                await ErrorAsync(context, StatusCodes.Status409Conflict, "device-exists", refused.Reason);
                return;
            }
            context.Response.StatusCode = StatusCodes.Status201Created;
            await context.Response.WriteAsJsonAsync(new RegistrationResponse(request.Name!, certificate.ExportCertificatePem() + "\n",
                gateway.Ca.CertificatePem, Encoding.UTF8.GetString(gateway.TrustedRoot), gateway.GatewayUrl), context.RequestAborted);
        }
    }

    /// <summary>The standard TUF HTTP layout of the device's view, from the cache, with ETags.</summary>
    private static IResult ServeRepository(HttpContext context, MetadataCache cache, DeviceRegistration device, string path)
    {
        var rootMatch = RootFilePattern().Match(path);
        var file = rootMatch.Success
            ? int.TryParse(rootMatch.Groups[1].Value, out var version) ? cache.Root(version) : null
            : cache.File(device.Tag, TufRepository.ProductionView, path);
        if (file is null)
            return Results.Json(new GatewayError("not-found", $"no {path} in the repository of tag {device.Tag}"), statusCode: StatusCodes.Status404NotFound);
        context.Response.Headers.ETag = file.ETag;
        context.Response.Headers.CacheControl = "no-cache";
        if (context.Request.Headers.IfNoneMatch.Contains(file.ETag)) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(file.Content, path.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "application/octet-stream");
    }

    private static Task ErrorAsync(HttpContext context, int status, string error, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new GatewayError(error, message), context.RequestAborted);
    }

    private static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    public static partial Regex DeviceNamePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex("^([1-9][0-9]{0,8})\\.root\\.json$")]
    private static partial Regex RootFilePattern();
}
