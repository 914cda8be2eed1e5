using System.Security.Cryptography.X509Certificates;

namespace FleetOrchestrator.Edge.Gateway;

/// <summary>The device's client of the gateway: <see cref="Http"/> for every request, <see cref="Handler"/> to change its certificate.</summary>
public sealed record DeviceGateway(HttpClient Http, DeviceGatewayHandler Handler);

/// <summary>
/// The device's connections to the gateway, presenting its current certificate. <see cref="Use"/> switches to a renewed
/// one: requests from then on go over new connections that present it (the gateway refuses the old certificate once the
/// new one was used); connections of the old one finish their requests and close.
/// </summary>
public sealed class DeviceGatewayHandler(X509Certificate2 gatewayCa, X509Certificate2 certificate) : HttpMessageHandler
{
    private sealed record Current(HttpMessageInvoker Invoker, X509Certificate2 Certificate);

    private Current _current = new(new HttpMessageInvoker(GatewayHttp.Handler(gatewayCa, certificate)), certificate);

    /// <summary>The certificate new requests present.</summary>
    public X509Certificate2 Certificate => Volatile.Read(ref _current).Certificate;

    public void Use(X509Certificate2 renewed)
    {
        var previous = Interlocked.Exchange(ref _current, new Current(new HttpMessageInvoker(GatewayHttp.Handler(gatewayCa, renewed)), renewed));
        // Requests under way on the old connections end within the request timeout.
        _ = Task.Delay(GatewayHttp.RequestTimeout).ContinueWith(_ => previous.Invoker.Dispose(), TaskScheduler.Default);
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Volatile.Read(ref _current).Invoker.SendAsync(request, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing) _current.Invoker.Dispose();
        base.Dispose(disposing);
    }
}
