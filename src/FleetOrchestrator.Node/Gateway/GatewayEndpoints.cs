using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Akka.Actor;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>Every gateway error, as JSON.</summary>
public sealed record GatewayError(string Error, string Message);

/// <summary>
/// The device gateway's HTTP pipeline: errors as JSON, the <see cref="RegistrationThrottle"/> per source address before
/// registration, then the <see cref="DeviceDenyList"/> (revoked devices end there), then <see cref="DeviceAuthentication"/>
/// (with the check-in) and the per-device rate limit before every endpoint but registration, then the endpoints:
/// <see cref="RegistrationEndpoint"/>, <see cref="CertificateEndpoint"/>,
/// <see cref="RepositoryEndpoints"/> (what <see cref="ServedDevices"/> serves each device) and <see cref="ReportEndpoints"/>.
/// </summary>
public static class GatewayEndpoints
{
    /// <summary>Body limit of registration, <c>/apps-states</c> and anything without its own.</summary>
    public const int MaxRequestBytes = 64 * 1024;
    /// <summary>Body limit of <c>/events</c>: a full batch of events with maximal details.</summary>
    public const int MaxEventsBytes = 512 * 1024;
    public const int MaxSystemInfoBytes = 16 * 1024;

    /// <summary>How long a twin may take to answer the gateway.</summary>
    internal static readonly TimeSpan TwinTimeout = TimeSpan.FromSeconds(10);

    public static void Map(WebApplication app, RegistrationEndpoint registration, RegistrationThrottle throttle, DeviceDenyList denyList,
        DeviceAuthentication authentication, CertificateEndpoint certificates, RepositoryEndpoints repository, ReportEndpoints reports)
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
        app.UseWhen(context => HttpMethods.IsPost(context.Request.Method) && context.Request.Path == "/devices", branch => branch.Use(throttle.InvokeAsync));
        app.Use(denyList.InvokeAsync);
        app.Use(authentication.InvokeAsync);
        app.UseRateLimiter();

        registration.Map(app);
        certificates.Map(app);
        repository.Map(app);
        reports.Map(app);
    }

    /// <summary>The body read as <typeparamref name="TBody"/>; false after answering 400 <c>invalid-json</c>: "the body is not <paramref name="what"/>".</summary>
    internal static async Task<(bool Read, TBody? Body)> ReadJsonAsync<TBody>(HttpContext context, JsonSerializerOptions options, string what)
    {
        try
        {
            return (true, await JsonSerializer.DeserializeAsync<TBody>(context.Request.Body, options, context.RequestAborted));
        }
        catch (JsonException e)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid-json", $"the body is not {what}: {e.Message}");
            return (false, default);
        }
    }

    internal static Task ErrorAsync(HttpContext context, int status, string error, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new GatewayError(error, message), context.RequestAborted);
    }

    /// <summary>What a twin records of a device's certificate (registration) and checks it against (authentication).</summary>
    internal static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
}
