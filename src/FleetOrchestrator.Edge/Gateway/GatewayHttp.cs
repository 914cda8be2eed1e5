using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using FleetOrchestrator.Edge.Configuration;

namespace FleetOrchestrator.Edge.Gateway;

/// <summary>The gateway's JSON error body (<c>{"error": ..., "message": ...}</c>).</summary>
public sealed record GatewayErrorBody(string? Error, string? Message);

/// <summary>HTTPS clients for the device gateway: the server must present a certificate of the factory's CA (never the system roots).</summary>
public static class GatewayHttp
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A client that trusts only <paramref name="gatewayCa"/> for the server (host name checked too) and presents
    /// <paramref name="clientCertificate"/> when given. With a null CA, any server certificate is accepted and
    /// handed to <paramref name="onServerCertificate"/> (registration without a known CA: checked against the CA in the answer).
    /// </summary>
    public static HttpClient Create(Uri gateway, X509Certificate2? gatewayCa, X509Certificate2? clientCertificate = null,
        Action<X509Certificate2>? onServerCertificate = null) =>
        new(Handler(gatewayCa, clientCertificate, onServerCertificate)) { BaseAddress = gateway, Timeout = RequestTimeout };

    /// <summary>The handler of <see cref="Create"/>: its connections present <paramref name="clientCertificate"/>.</summary>
    public static SocketsHttpHandler Handler(X509Certificate2? gatewayCa, X509Certificate2? clientCertificate, Action<X509Certificate2>? onServerCertificate = null)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null) return false;
                    // A copy: the handshake disposes the one it hands in.
                    var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    onServerCertificate?.Invoke(server);
                    if (gatewayCa is null) return true;
                    return (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0 && DeviceFiles.IssuedBy(server, gatewayCa);
                },
            },
        };
        if (clientCertificate is not null)
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { clientCertificate };
        return handler;
    }

    /// <summary>
    /// The device's mTLS client from its registration files (a certificate replacement a crash interrupted is finished
    /// first), on a <see cref="DeviceGatewayHandler"/> so a renewed certificate is used from the next request on.
    /// </summary>
    public static DeviceGateway ForDevice(EdgeSettings settings)
    {
        var handler = new DeviceGatewayHandler(settings.Files.LoadGatewayCa(), settings.Files.LoadClientCertificate());
        return new DeviceGateway(new HttpClient(handler) { BaseAddress = settings.Gateway, Timeout = RequestTimeout }, handler);
    }

    /// <summary>"403 token-invalid: the registration token is missing or wrong", from at most 4 KiB of the body.</summary>
    public static async Task<string> DescribeFailureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var body = await ReadBoundedAsync(response, 4096, ct);
        try
        {
            var error = JsonSerializer.Deserialize<GatewayErrorBody>(body, JsonSerializerOptions.Web);
            if (error?.Message is { Length: > 0 } message) return $"{status} {error.Error}: {message}";
        }
        catch (JsonException)
        {
            // not the gateway's JSON: show the start of the text
        }
        var text = System.Text.Encoding.UTF8.GetString(body).Trim();
        return text.Length == 0 ? $"{status} {response.ReasonPhrase}" : $"{status} {response.ReasonPhrase}: {text[..Math.Min(text.Length, 300)]}";
    }

    /// <summary>At most <paramref name="limit"/> bytes of the body.</summary>
    public static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, int limit, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[limit];
        var read = 0;
        while (read < limit)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read, limit - read), ct);
            if (n == 0) break;
            read += n;
        }
        return buffer[..read];
    }
}
