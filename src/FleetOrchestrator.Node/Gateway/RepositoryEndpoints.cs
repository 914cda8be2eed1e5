namespace FleetOrchestrator.Node.Gateway;

/// <summary>What a device fetches: its TUF repository (<c>GET /repo/...</c>) and its operator's config (<c>GET /config</c>), both with ETags.</summary>
public sealed class RepositoryEndpoints(ServedDevices served)
{
    public void Map(WebApplication app)
    {
        app.MapGet("/repo/{**path}", (HttpContext context, string path) => ServeRepository(context, DeviceAuthentication.Device(context), path));
        app.MapGet("/config", (HttpContext context) => ServeConfig(context, DeviceAuthentication.Device(context)));
    }

    private IResult ServeRepository(HttpContext context, GatewayDevice device, string path)
    {
        if (!served.IsLoaded)
        {
            // Right after start the target registry has not answered yet: a 404 would tell the device a file does not exist.
            context.Response.Headers.RetryAfter = "5";
            return Results.Json(new GatewayError("metadata-loading", "the gateway has not loaded the repository metadata yet; try again shortly"),
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        if (served.RepositoryFile(device, path) is not { } file)
            return Results.Json(new GatewayError("not-found", $"no {path} in the repository of tag {served.Tag(device)}"), statusCode: StatusCodes.Status404NotFound);
        return Cached(context, file, path.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "application/octet-stream");
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
