using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Node.Factory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FleetOrchestrator.Node.Benchmarks;

/// <summary>The two servers the check-in benchmark compares, each run in a child process until its stdin closes.</summary>
internal static class Servers
{
    /// <summary>fleet-node as <c>fleet-node run</c> builds it, with one target recorded for tag main.</summary>
    public static async Task<int> ServeNodeAsync(Options options)
    {
        await using var app = await NodeHost.BuildAsync(["--data", options.String("data"), "--gateway-port", options.String("port"),
            "--remoting-port", "0", "--pbm-port", "0", "--hocon", options.String("hocon")]);
        await app.StartAsync();
        var registry = await app.Services.GetRequiredService<ActorRegistry>().GetAsync<TargetRegistryActor>();
        await registry.Ask<TargetRecorded>(new RecordTarget("bench-1", Encoding.UTF8.GetBytes("{\"app\":{\"uri\":\"r/bench/app@sha256:01\"}}"),
            new JsonObject { ["version"] = "1", ["tags"] = new JsonArray("main") }), TimeSpan.FromSeconds(60));
        await ReadyUntilStdinClosesAsync();
        await app.StopAsync();
        return 0;
    }

    /// <summary>Bare Kestrel: the same TLS setup (gateway certificate from the factory CA, client certificates asked for), one ETag endpoint, nothing else.</summary>
    public static async Task<int> ServeBareAsync(Options options)
    {
        using var ca = await new FactoryFiles(options.String("data")).LoadCaAsync();
        var certificate = ca.IssueGatewayCertificate(["127.0.0.1", "localhost"]);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Int("port", 0), listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = (_, _, _) => true,
        })));
        await using var app = builder.Build();
        var content = RandomNumberGenerator.GetBytes(400);
        var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..32]}\"";
        app.MapGet("/repo/timestamp.json", (HttpContext context) =>
        {
            context.Response.Headers.ETag = etag;
            return context.Request.Headers.IfNoneMatch.Contains(etag) ? Results.StatusCode(StatusCodes.Status304NotModified) : Results.Bytes(content, "application/json");
        });
        await app.StartAsync();
        await ReadyUntilStdinClosesAsync();
        await app.StopAsync();
        return 0;
    }

    private static async Task ReadyUntilStdinClosesAsync()
    {
        Console.WriteLine("ready");
        while (await Console.In.ReadLineAsync() is not null) { }
    }
}
