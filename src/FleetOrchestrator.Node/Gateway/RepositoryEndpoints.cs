using Akka.Actor;
using Akka.Hosting;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>What a device fetches: its TUF repository (<c>GET /repo/...</c>) and its operator's config (<c>GET /config</c>), both with ETags.</summary>
public sealed class RepositoryEndpoints(ServedDevices served, IRequiredActor<MetadataCacheActor> metadataFeed)
{
    /// <summary>How long a request waits for the empty chain to be signed (the feed asks the registry for 10 s).</summary>
    private static readonly TimeSpan SigningWait = TimeSpan.FromSeconds(15);

    public void Map(WebApplication app)
    {
        app.MapGet("/repo/{**path}", (HttpContext context, string path) => ServeRepositoryAsync(context, DeviceAuthentication.Device(context), path));
        app.MapGet("/config", (HttpContext context) => ServeConfig(context, DeviceAuthentication.Device(context)));
    }

    private async Task<IResult> ServeRepositoryAsync(HttpContext context, GatewayDevice device, string path)
    {
        if (!served.IsLoaded)
        {
            // Right after start the target registry has not answered yet: a 404 would tell the device a file does not exist.
            return RetryLater(context, "metadata-loading", "the gateway has not loaded the repository metadata yet; try again shortly");
        }
        if (served.AwaitsUnpublishedChain(device))
        {
            // Once per cluster: the registry signs the one empty chain every tag with nothing published is served.
            var answer = await (await metadataFeed.GetAsync(context.RequestAborted))
                .Ask<MetadataCacheActor.UnpublishedAnswer>(MetadataCacheActor.SignUnpublished.Instance, SigningWait, context.RequestAborted);
            if (answer.Problem is { } problem)
                return answer.Refused
                    ? Results.Json(new GatewayError("not-found", $"tag {served.Tag(device)} has nothing published yet: {problem}"), statusCode: StatusCodes.Status404NotFound)
                    : RetryLater(context, "registry-unavailable", $"tag {served.Tag(device)} has nothing published yet and its empty repository is not signed: {problem}");
        }
        if (served.RepositoryFile(device, path) is not { } file)
            return Results.Json(new GatewayError("not-found", $"no {path} in the repository of tag {served.Tag(device)}"), statusCode: StatusCodes.Status404NotFound);
        return Cached(context, file, path.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "application/octet-stream");
    }

    private static IResult RetryLater(HttpContext context, string error, string message)
    {
        context.Response.Headers.RetryAfter = "5";
        return Results.Json(new GatewayError(error, message), statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>The config an operator set for the device (its own, else its group's); 204 when there is none: the device follows what it registered with, i.e. its own edge.conf.</summary>
    private IResult ServeConfig(HttpContext context, GatewayDevice device) =>
        served.ConfigFile(device) is { } file ? Cached(context, file, "application/json") : Results.NoContent();

    private static IResult Cached(HttpContext context, CachedFile file, string contentType)
    {
        context.Response.Headers.ETag = file.ETag;
        context.Response.Headers.CacheControl = "no-cache";
        if (context.Request.Headers.IfNoneMatch.Contains(file.ETag)) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(file.Content, contentType);
    }
}
