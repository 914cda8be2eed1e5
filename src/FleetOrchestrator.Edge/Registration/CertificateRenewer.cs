using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Gateway;

namespace FleetOrchestrator.Edge.Registration;

/// <summary>A renewal that did not happen; the device keeps its certificate. The message says why.</summary>
public sealed class CertificateRenewalException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary><c>POST /device/certificate</c> body and answer (the gateway's <c>CertificateRenewalRequest</c>/<c>Response</c>).</summary>
internal sealed record RenewalRequestBody(string Csr);
internal sealed record RenewalAnswer(string Certificate);

/// <summary>
/// Renews the device certificate through the gateway once less than a third of its lifetime is left (<see cref="IsDue"/>):
/// a fresh key made on the device, a CSR for the device's name sent with the current certificate, the answer checked
/// (the device CA's, this device's name and key), the pair stored crash-safely (<see cref="DeviceFiles.ReplaceCertificate"/>)
/// and used from the next request on. Cheap when not due: it reads the certificate in memory only.
/// </summary>
public sealed class CertificateRenewer(DeviceFiles files, DeviceGateway gateway, TimeProvider time)
{
    private const int MaxAnswerBytes = 64 * 1024;
    private int _running;

    /// <summary>Whether a certificate valid from <paramref name="notBefore"/> to <paramref name="notAfter"/> is to be renewed at <paramref name="now"/>.</summary>
    public static bool IsDue(DateTimeOffset notBefore, DateTimeOffset notAfter, DateTimeOffset now) => (notAfter - now) * 3 < notAfter - notBefore;

    /// <summary>The renewed certificate's end; null when no renewal is due (or one is under way already).</summary>
    /// <exception cref="CertificateRenewalException">The gateway refused, or its answer was wrong: nothing changed.</exception>
    public async Task<DateTimeOffset?> RenewIfDueAsync(CancellationToken ct)
    {
        var current = gateway.Handler.Certificate;
        if (!IsDue(current.NotBefore, current.NotAfter, time.GetUtcNow()) || Interlocked.Exchange(ref _running, 1) == 1) return null;
        try
        {
            var name = current.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var csr = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
            var answer = await RequestAsync(csr, ct);
            using var issued = Parse(answer.Certificate);
            using (var ca = files.LoadGatewayCa())
                if (!DeviceFiles.IssuedBy(issued, ca) || issued.GetNameInfo(X509NameType.SimpleName, false) != name)
                    throw new CertificateRenewalException($"the renewed certificate is not a certificate of {name} issued by the gateway's CA");
            using (var publicKey = issued.GetECDsaPublicKey())
                if (publicKey is null || !publicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
                    throw new CertificateRenewalException("the renewed certificate is not for the key made for it");
            files.ReplaceCertificate(key.ExportPkcs8PrivateKeyPem() + "\n", answer.Certificate);
            gateway.Handler.Use(files.LoadClientCertificate());
            return issued.NotAfter;
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task<RenewalAnswer> RequestAsync(string csr, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await gateway.Http.PostAsJsonAsync("device/certificate", new RenewalRequestBody(csr), JsonSerializerOptions.Web, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CertificateRenewalException($"cannot reach the gateway: {e.Message}", e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new CertificateRenewalException($"the gateway refused the renewal: {await GatewayHttp.DescribeFailureAsync(response, ct)}");
            try
            {
                var answer = JsonSerializer.Deserialize<RenewalAnswer>(await GatewayHttp.ReadBoundedAsync(response, MaxAnswerBytes, ct), JsonSerializerOptions.Web);
                if (answer is { Certificate.Length: > 0 }) return answer;
            }
            catch (JsonException e)
            {
                throw new CertificateRenewalException($"the gateway's answer is not a renewal answer: {e.Message}", e);
            }
            throw new CertificateRenewalException("the gateway's answer lacks the certificate");
        }
    }

    private static X509Certificate2 Parse(string pem)
    {
        try { return X509Certificate2.CreateFromPem(pem); }
        catch (CryptographicException e) { throw new CertificateRenewalException($"the gateway's answer has an invalid certificate: {e.Message}", e); }
    }
}
