using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Gateway;
using FleetOrchestrator.Protocol;
using FleetOrchestrator.Tuf.Client;

namespace FleetOrchestrator.Edge.Registration;

/// <summary>Registration did not happen; nothing was written. The message says why (the gateway's own words when it refused).</summary>
public sealed class RegistrationException(string message, Exception? inner = null) : Exception(message, inner);

public sealed record RegistrationOptions(
    Uri Gateway, string Token, string HardwareId, string DeviceName, string Tag, string Group, string DataDirectory, string? GatewayCaFile);

/// <summary>The <c>POST /devices</c> body; no group is sent as null (the gateway refuses an empty one).</summary>
internal sealed record RegistrationRequestBody(string Token, string Name, string Csr, string HardwareId, string Tag, string? Group);

/// <summary>The gateway's 201 answer.</summary>
internal sealed record RegistrationAnswer(string Name, string Certificate, string CaCertificate, string Root, string GatewayUrl);

/// <summary>
/// <c>fleet-edge register</c>: makes the device key on the device (only a CSR is sent), registers with the gateway,
/// and writes the key (0600), certificate, gateway CA, trusted TUF root and edge.conf into the data directory.
/// An existing registration is never overwritten.
/// </summary>
public static class DeviceRegistrar
{
    private const int MaxAnswerBytes = 1024 * 1024;

    /// <summary>The host name made into a valid device name (lower case, other characters as '-').</summary>
    public static string DefaultDeviceName()
    {
        var name = Regex.Replace(Environment.MachineName.ToLowerInvariant(), "[^a-z0-9-]", "-").Trim('-');
        return name.Length == 0 ? "device" : name[..Math.Min(name.Length, 63)];
    }

    public static async Task<DeviceFiles> RegisterAsync(RegistrationOptions options, CancellationToken ct)
    {
        var files = new DeviceFiles(options.DataDirectory);
        if (Names.Device.Problem(options.DeviceName) is { } invalid) throw new RegistrationException(invalid);
        if (options.Gateway.Scheme != Uri.UriSchemeHttps)
            throw new RegistrationException($"--gateway must be an https:// URL, got {options.Gateway}");
        var taken = files.RegistrationFiles.FirstOrDefault(File.Exists);
        if (taken is not null)
            throw new RegistrationException($"{files.DataDirectory} already holds a registration ({taken} exists); use another --data-dir, or delete that directory to register again");
        var knownCa = options.GatewayCaFile is null ? null : LoadCa(options.GatewayCaFile);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest($"CN={options.DeviceName}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        X509Certificate2? server = null;
        var gateway = options.Gateway.AbsoluteUri.EndsWith('/') ? options.Gateway : new Uri(options.Gateway.AbsoluteUri + "/");
        RegistrationAnswer answer;
        using (var http = GatewayHttp.Create(gateway, knownCa, onServerCertificate: certificate => server = certificate))
        {
            HttpResponseMessage response;
            try
            {
                response = await http.PostAsJsonAsync("devices",
                    new RegistrationRequestBody(options.Token, options.DeviceName, csr, options.HardwareId, options.Tag,
                        options.Group.Length == 0 ? null : options.Group), JsonSerializerOptions.Web, ct);
            }
            catch (HttpRequestException e)
            {
                throw new RegistrationException($"cannot reach the gateway at {gateway}: {e.Message}" +
                    (knownCa is null ? "" : $" (its certificate must be issued by {options.GatewayCaFile})"), e);
            }
            using (response)
            {
                if ((int)response.StatusCode != 201)
                    throw new RegistrationException($"the gateway refused the registration: {await GatewayHttp.DescribeFailureAsync(response, ct)}");
                answer = ParseAnswer(await GatewayHttp.ReadBoundedAsync(response, MaxAnswerBytes, ct));
            }
        }

        using var ca = ParseCertificate(answer.CaCertificate, "caCertificate");
        using var issued = ParseCertificate(answer.Certificate, "certificate");
        if (knownCa is not null && knownCa.Thumbprint != ca.Thumbprint)
            throw new RegistrationException($"the gateway answered with a CA ({ca.Subject}) other than {options.GatewayCaFile}");
        // Without --gateway-ca the first contact is trust-on-first-use: at least the server and the answer must agree.
        if (server is null || !DeviceFiles.IssuedBy(server, ca))
            throw new RegistrationException("the gateway's TLS certificate is not issued by the CA in its answer; refusing to trust it");
        if (!DeviceFiles.IssuedBy(issued, ca) || issued.GetNameInfo(X509NameType.SimpleName, false) != options.DeviceName)
            throw new RegistrationException($"the certificate in the answer is not a certificate of {options.DeviceName} issued by the gateway's CA");
        using (var publicKey = issued.GetECDsaPublicKey())
            if (publicKey is null || !publicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
                throw new RegistrationException("the certificate in the answer is not for this device's key");

        Directory.CreateDirectory(files.DataDirectory);
        var tuf = Path.Combine(files.DataDirectory, "tuf");
        try
        {
            // Checks the root (signed by its own threshold) before anything is kept.
            await Updater.InitializeAsync(tuf, Encoding.UTF8.GetBytes(answer.Root), ct);
        }
        catch (TufClientException e)
        {
            throw new RegistrationException($"the trusted root in the answer is not valid root metadata: {e.Message}", e);
        }
        const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        DeviceFiles.WriteAtomically(files.KeyFile, key.ExportPkcs8PrivateKeyPem() + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        DeviceFiles.WriteAtomically(files.CertificateFile, answer.Certificate, readable);
        DeviceFiles.WriteAtomically(files.GatewayCaFile, ca.ExportCertificatePem() + "\n", readable);
        DeviceFiles.WriteAtomically(files.TrustedRootFile, answer.Root, readable);
        // Written last: its presence is what makes the directory a registered device.
        DeviceFiles.WriteAtomically(files.SettingsFile, SettingsText(gateway, options), readable);
        return files;
    }

    /// <summary>The identity part of edge.conf; everything else keeps its default until edited.</summary>
    private static string SettingsText(Uri gateway, RegistrationOptions options) => $$"""
        # fleet-edge settings (HOCON). Written by `fleet-edge register`; every other key has the default
        # documented in docs/edge-agent.md and may be added here.
        fleet.edge {
          gateway = {{Quote(gateway.AbsoluteUri)}}
          device-name = {{Quote(options.DeviceName)}}
          hardware-id = {{Quote(options.HardwareId)}}
          tag = {{Quote(options.Tag)}}
          group = {{Quote(options.Group)}}
        }

        """;

    private static string Quote(string text) => JsonSerializer.Serialize(text);

    private static RegistrationAnswer ParseAnswer(byte[] body)
    {
        try
        {
            var answer = JsonSerializer.Deserialize<RegistrationAnswer>(body, JsonSerializerOptions.Web);
            if (answer is { Certificate.Length: > 0, CaCertificate.Length: > 0, Root.Length: > 0 }) return answer;
        }
        catch (JsonException e)
        {
            throw new RegistrationException($"the gateway's answer is not a registration answer: {e.Message}", e);
        }
        throw new RegistrationException("the gateway's answer lacks the certificate, the CA certificate or the root");
    }

    private static X509Certificate2 ParseCertificate(string pem, string field)
    {
        try { return X509Certificate2.CreateFromPem(pem); }
        catch (CryptographicException e) { throw new RegistrationException($"the gateway's answer has an invalid {field}: {e.Message}", e); }
    }

    private static X509Certificate2 LoadCa(string path)
    {
        try { return X509CertificateLoader.LoadCertificateFromFile(path); }
        catch (Exception e) when (e is CryptographicException or IOException)
        {
            throw new RegistrationException($"--gateway-ca {path} is not a readable certificate: {e.Message}", e);
        }
    }
}
