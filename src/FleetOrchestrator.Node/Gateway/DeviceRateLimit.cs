using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>
/// One token bucket per device (the certificate's name): a misbehaving device is answered 429 with
/// Retry-After without slowing the others. Registration has no device yet and is not limited here.
/// </summary>
public static class DeviceRateLimit
{
    public static IServiceCollection AddDeviceRateLimit(this IServiceCollection services, GatewaySettings limits) =>
        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                DeviceAuthentication.RateLimitKey(context) is { } device
                    ? RateLimitPartition.GetTokenBucketLimiter(device, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = limits.Burst,
                        TokensPerPeriod = Math.Max(1, (int)Math.Ceiling(limits.RequestsPerSecond)),
                        ReplenishmentPeriod = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(limits.RequestsPerSecond)) / limits.RequestsPerSecond),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    })
                    : RateLimitPartition.GetNoLimiter(""));
            options.OnRejected = async (rejected, cancellation) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                var seconds = (int)Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds));
                rejected.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await rejected.HttpContext.Response.WriteAsJsonAsync(new GatewayError("rate-limited",
                    $"device {DeviceAuthentication.RateLimitKey(rejected.HttpContext)} sends more than {limits.RequestsPerSecond} requests per second (burst {limits.Burst}); retry in {seconds} s"), cancellation);
            };
        });
}
