using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.Protocol.Decisions;
using Microsoft.AspNetCore.Mvc;

namespace FleetOrchestrator.Node.Gateway;

/// <summary><c>POST /device/certificate</c> body: a new CSR (PEM) for the device's own name, with a key made for it.</summary>
public sealed record CertificateRenewalRequest(string? Csr);

/// <summary><c>POST /device/certificate</c> answer: the new certificate and the CA that signs it.</summary>
public sealed record CertificateRenewalResponse(string Certificate, string CaCertificate, DateTimeOffset NotAfter);

/// <summary>
/// <c>POST /device/certificate</c>: an authenticated device (its current certificate, <see cref="DeviceAuthentication"/>)
/// gets a new certificate for a fresh CSR. Its twin records the new certificate before the answer; the device's first
/// request with it makes it the current one, and from then on the old one is refused (<see cref="DeviceCertificates"/>).
/// A CSR that is malformed, has an unsupported key or names another device gets 400 <c>invalid-csr</c>; nothing is stored.
/// </summary>
public sealed class CertificateEndpoint(DeviceCa ca, IRequiredActor<DeviceTwinActor> twins, DeviceDirectory directory, GatewaySettings settings)
{
    public const string Path = "/device/certificate";

    public void Map(WebApplication app) =>
        app.MapPost(Path, RenewAsync).WithMetadata(new RequestSizeLimitAttribute(GatewayEndpoints.MaxRequestBytes));

    private async Task RenewAsync(HttpContext context)
    {
        var (read, request) = await GatewayEndpoints.ReadJsonAsync<CertificateRenewalRequest>(context, JsonSerializerOptions.Web, "a certificate renewal request");
        if (!read) return;
        var device = DeviceAuthentication.Device(context);
        if (request?.Csr is not { Length: > 0 } csr)
        {
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid-csr", "the CSR (PEM) is missing");
            return;
        }
        X509Certificate2 certificate;
        try
        {
            certificate = ca.IssueDeviceCertificate(device.Name, csr, settings.DeviceCertificateLifetime);
        }
        catch (DeviceCaException e)
        {
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid-csr", e.Message);
            return;
        }
        using (certificate)
        {
            var renew = new RenewDeviceCertificate(device.Name, device.Registration.CertificateSha256, GatewayEndpoints.Fingerprint(certificate));
            var answer = await (await twins.GetAsync(context.RequestAborted)).Ask<object>(renew, GatewayEndpoints.TwinTimeout, context.RequestAborted);
            if (answer is not DeviceCertificateAnswered renewed)
            {
                var reason = answer is Refused refused ? refused.Reason : $"unexpected answer {answer.GetType().Name}";
                await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status409Conflict, "renewal-refused", reason);
                return;
            }
            // This gateway accepts the new certificate at once, before the twin's news of it arrives.
            directory.Changed(new DeviceCertificateChanged(renewed.DeviceId, renewed.Registration));
            await context.Response.WriteAsJsonAsync(new CertificateRenewalResponse(certificate.ExportCertificatePem() + "\n", ca.CertificatePem,
                certificate.NotAfter.ToUniversalTime()), JsonSerializerOptions.Web, context.RequestAborted);
        }
    }
}
