using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Groups;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.Protocol;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Protocol.DeviceApi;
using Microsoft.AspNetCore.Mvc;

namespace FleetOrchestrator.Node.Gateway;

/// <summary><c>POST /devices</c> body; <see cref="Group"/> and <see cref="Apps"/> (app selection: null = all, empty = none) are optional.</summary>
public sealed record RegistrationRequest(string? Token, string? Name, string? Csr, string? HardwareId, string? Tag, string? Group = null, IReadOnlyList<string>? Apps = null);

/// <summary><c>POST /devices</c> answer: the device certificate, the CA that signs it (and the gateway's), the trusted root, and where to connect.</summary>
public sealed record RegistrationResponse(string Name, string Certificate, string CaCertificate, string Root, string GatewayUrl);

/// <summary>
/// <c>POST /devices</c>: a device with the factory's registration token gets a certificate from the device CA for its CSR,
/// and its twin records the registration (a name is registered once); the device groups singleton hears of a group joined.
/// </summary>
/// <param name="GatewayUrl">Where registered devices connect (the gateway's public address).</param>
/// <param name="CertificateLifetime">Of the device certificates issued (<c>fleet.gateway.device-certificate-lifetime</c>).</param>
public sealed class RegistrationEndpoint(DeviceCa ca, RegistrationTokens tokens, TimeSpan certificateLifetime, byte[] trustedRoot, IRequiredActor<DeviceTwinActor> twins,
    IRequiredActor<DeviceGroupsActor> groups, string gatewayUrl)
{
    /// <summary>Names reserved by revocation are refused (403 <c>device-revoked</c>) before a certificate is issued.</summary>
    public required DeviceDenyList DenyList { get; init; }

    public void Map(WebApplication app) =>
        app.MapPost("/devices", RegisterAsync).WithMetadata(new RequestSizeLimitAttribute(GatewayEndpoints.MaxRequestBytes));

    private async Task RegisterAsync(HttpContext context)
    {
        var (read, request) = await GatewayEndpoints.ReadJsonAsync<RegistrationRequest>(context, JsonSerializerOptions.Web, "a registration request");
        if (!read) return;
        if (request is null || !tokens.Accepts(request.Token))
        {
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status403Forbidden, "token-invalid", "the registration token is missing or wrong");
            return;
        }
        var tag = request.Tag ?? "main";
        var hardwareId = request.HardwareId ?? "generic";
        var invalid = Names.Device.Problem(request.Name ?? "")
            ?? Names.HardwareId.Problem(hardwareId)
            ?? (request.Group is { } group ? Names.Group.Problem(group) : null)
            ?? new DeviceConfig(tag, request.Apps).Problem
            ?? (request.Csr is null ? "the CSR (PEM) is missing" : null);
        if (invalid is not null)
        {
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid-request", invalid);
            return;
        }
        if (await DenyList.RefusesNameAsync(request.Name!, context.RequestAborted) is not false)
        {
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status403Forbidden, "device-revoked",
                $"the device name \"{request.Name}\" is revoked (or the deny list is not loaded yet); 'pbm devices delete {request.Name} --release-name' frees a revoked name");
            return;
        }
        X509Certificate2 certificate;
        try
        {
            certificate = ca.IssueDeviceCertificate(request.Name!, request.Csr!, certificateLifetime);
        }
        catch (DeviceCaException e)
        {
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid-csr", e.Message);
            return;
        }
        using (certificate)
        {
            var register = new RegisterDevice(request.Name!, hardwareId, tag, GatewayEndpoints.Fingerprint(certificate), request.Group, request.Apps?.Distinct(StringComparer.Ordinal).ToList());
            var answer = await (await twins.GetAsync(context.RequestAborted)).Ask(register, GatewayEndpoints.TwinTimeout);
            if (answer is Refused refused)
            {
                await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status409Conflict, "device-exists", refused.Reason);
                return;
            }
            // Its group's config (when the group has one) reaches its twin from the groups singleton.
            if (request.Group is { } joined) (await groups.GetAsync(context.RequestAborted)).Tell(new DeviceJoinedGroup(request.Name!, joined));
            context.Response.StatusCode = StatusCodes.Status201Created;
            await context.Response.WriteAsJsonAsync(new RegistrationResponse(request.Name!, certificate.ExportCertificatePem() + "\n",
                ca.CertificatePem, Encoding.UTF8.GetString(trustedRoot), gatewayUrl), context.RequestAborted);
        }
    }
}
