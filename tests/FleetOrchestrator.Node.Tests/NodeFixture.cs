using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.Node.Gateway;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Client;

namespace FleetOrchestrator.Node.Tests;

/// <summary>An initialised factory and a running embedded node (free loopback ports) with its real HTTPS gateway.</summary>
public sealed class RunningNode : IAsyncDisposable
{
    private readonly string? _hoconDirectory;

    private RunningNode(TempDirectory data, WebApplication app, int gatewayPort, X509Certificate2 ca, string token, string? hoconDirectory)
    {
        _hoconDirectory = hoconDirectory;
        Data = data;
        App = app;
        GatewayUrl = new Uri($"https://127.0.0.1:{gatewayPort}/");
        Ca = ca;
        Token = token;
    }

    public TempDirectory Data { get; }
    public WebApplication App { get; private set; }
    public Uri GatewayUrl { get; }
    public X509Certificate2 Ca { get; }
    public string Token { get; }

    /// <summary>
    /// A new factory "acme" using <paramref name="registry"/> (plain HTTP, also the docker.io mirror) and a node running it;
    /// <paramref name="hocon"/> overrides the shipped tunables; <paramref name="init"/> adds arguments to <c>fleet-node init</c>.
    /// </summary>
    public static async Task<RunningNode> StartAsync(string registry = "127.0.0.1:5000", string? hocon = null, string[]? init = null)
    {
        var directory = new TempDirectory();
        var dataPath = directory.Path;
        var token = await Init.RunAsync(["--factory", "acme", "--data", dataPath, "--registry", registry, "--plain-http", "--mirror", $"docker.io={registry}", .. init ?? []]);
        string? hoconDirectory = null;
        if (hocon is not null)
        {
            hoconDirectory = directory.Combine("hocon");
            Directory.CreateDirectory(hoconDirectory);
            foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "hocon"), "*.conf"))
                File.Copy(file, Path.Combine(hoconDirectory, Path.GetFileName(file)));
            await File.WriteAllTextAsync(Path.Combine(hoconDirectory, "zz-test.conf"), hocon);
        }
        var port = FreePort();
        var app = await StartAppAsync(dataPath, port, hoconDirectory);
        var ca = X509CertificateLoader.LoadCertificateFromFile(new FactoryFiles(dataPath).CaCertificateFile);
        return new RunningNode(directory, app, port, ca, token, hoconDirectory);
    }

    /// <summary>Stops the node and runs a new one on the same data directory and gateway port.</summary>
    public async Task RestartAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        App = await StartAppAsync(Data.Path, GatewayUrl.Port, _hoconDirectory);
    }

    private static async Task<WebApplication> StartAppAsync(string dataPath, int port, string? hoconDirectory)
    {
        string[] hocon = hoconDirectory is null ? [] : ["--hocon", hoconDirectory];
        var app = await NodeHost.BuildAsync(["--data", dataPath, "--gateway-port", port.ToString(), "--remoting-port", "0", "--pbm-port", "0", .. hocon]);
        await app.StartAsync();
        // Ready means the gateway serves metadata; until then it answers 503 metadata-loading.
        var cache = app.Services.GetRequiredService<MetadataCache>();
        for (var waited = 0; !cache.IsLoaded; waited++)
        {
            if (waited == 600) throw new TimeoutException("the gateway did not load the repository metadata within 60 s");
            await Task.Delay(100);
        }
        return app;
    }

    /// <summary>Where the node's command host (pbm) listens: a free loopback port picked at start.</summary>
    public async Task<IPEndPoint> CommandHostAsync() => await App.Services.GetRequiredService<FleetOrchestrator.CommandHost.CommandHostEndpoint>().Bound;

    public async Task<IActorRef> TargetRegistryAsync() => await App.Services.GetRequiredService<ActorRegistry>().GetAsync<TargetRegistryActor>();

    /// <summary>What a device's twin tells readers, asked through the shard region.</summary>
    public async Task<DeviceDetails> TwinAsync(string device) =>
        await (await App.Services.GetRequiredService<ActorRegistry>().GetAsync<DeviceTwinActor>()).Ask<DeviceDetails>(new GetDevice(device), TimeSpan.FromSeconds(20));

    /// <summary>An HTTPS client trusting only this factory's CA for the server, optionally presenting a client certificate.</summary>
    /// <summary>
    /// Sends a body over a gateway limit with <c>Expect: 100-continue</c>: the gateway refuses it by Content-Length before
    /// any body byte is sent (otherwise the client may still be writing when the gateway answers and closes: a broken pipe).
    /// </summary>
    public static Task<HttpResponseMessage> SendOversizedAsync(HttpClient client, HttpMethod method, string path, HttpContent content)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.ExpectContinue = true;
        return client.SendAsync(request);
    }

    public HttpClient Client(X509Certificate2? clientCertificate = null)
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, server, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(Ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return server is not null && chain.Build(server);
            },
        };
        if (clientCertificate is not null) handler.ClientCertificates.Add(clientCertificate);
        return new HttpClient(handler) { BaseAddress = GatewayUrl, Timeout = TimeSpan.FromSeconds(20) };
    }

    /// <summary>Registers a device of <paramref name="tag"/> (and <paramref name="group"/>) with a fresh P-256 key; returns the answer and the certificate with its key.</summary>
    public async Task<(RegistrationResponse Response, X509Certificate2 Certificate)> RegisterAsync(string name, string? token = null, string tag = "main", string? group = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using var client = Client();
        var answer = await client.PostAsJsonAsync("devices", new RegistrationRequest(token ?? Token, name, csr, "generic", tag, group));
        Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        var response = (await answer.Content.ReadFromJsonAsync<RegistrationResponse>())!;
        using var issued = X509Certificate2.CreateFromPem(response.Certificate);
        using var withKey = issued.CopyWithPrivateKey(key);
        return (response, X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null));
    }

    /// <summary>A device's TUF client over <paramref name="http"/>: trusts the root of its registration, keeps metadata and downloaded targets in <paramref name="directory"/>.</summary>
    public async Task<Updater> DeviceUpdaterAsync(RegistrationResponse registration, HttpClient http, string directory)
    {
        await Updater.InitializeAsync(directory, System.Text.Encoding.UTF8.GetBytes(registration.Root));
        return new Updater(new UpdaterOptions
        {
            MetadataDir = directory,
            MetadataBaseUrl = new Uri(GatewayUrl, "repo/"),
            TargetBaseUrl = new Uri(GatewayUrl, "repo/targets/"),
            TargetDir = directory,
        }, http);
    }

    /// <summary>Waits until the gateway serves targets metadata at <paramref name="version"/> for the device's tag.</summary>
    public async Task WaitForTargetsVersionAsync(X509Certificate2 device, int version)
    {
        using var client = Client(device);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if ((await client.GetAsync($"repo/{version}.targets.json")).IsSuccessStatusCode) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"the gateway never served {version}.targets.json");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Ca.Dispose();
        Data.Dispose();
    }
}
