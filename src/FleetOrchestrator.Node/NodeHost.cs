using System.Net;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.CommandHost;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Security;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Groups;
using FleetOrchestrator.ControlPlane.Registration;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.ControlPlane.Revocations;
using FleetOrchestrator.Node.Gateway;
using FleetOrchestrator.Tuf.Crypto;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using HoconFactory = Akka.Configuration.ConfigurationFactory;

namespace FleetOrchestrator.Node;

/// <summary>Builds the node: the Akka.NET control plane and the HTTPS device gateway in one host.</summary>
public static class NodeHost
{
    public static async Task<WebApplication> BuildAsync(string[] args, CancellationToken cancellation = default)
    {
        args = ExpandListSwitches(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables("FLEET_");
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
        {
            ["--data"] = "Node:Data", ["--gateway-port"] = "Node:GatewayPort", ["--pbm-port"] = "Node:PbmPort",
            ["--remoting-port"] = "Node:RemotingPort", ["--hostname"] = "Node:Hostname", ["--postgres"] = "Node:Postgres",
            ["--hocon"] = "Node:HoconDirectory", ["--public-hostname"] = "Node:PublicHostname",
            ["--node-certificate"] = "Node:NodeCertificate",
        });
        var options = builder.Configuration.GetSection("Node").Get<NodeOptions>() ?? new NodeOptions();
        if (options.Data.Length == 0) throw new FactoryFilesException("no data directory: pass --data <dir>");
        if (options.Roles.FirstOrDefault(r => !ControlPlaneSettings.AllRoles.Contains(r)) is { } unknownRole)
            throw new UsageException($"unknown role \"{unknownRole}\"; roles: {string.Join(", ", ControlPlaneSettings.AllRoles)}");
        var discovery = DiscoveryOf(options);

        var files = new FactoryFiles(options.Data);
        var factory = await files.LoadSettingsAsync(cancellation);
        var keys = await files.LoadKeysAsync(cancellation);
        var root = await files.LoadRootAsync(cancellation);
        var ca = await files.LoadCaAsync(cancellation);
        var remotingTls = await files.LoadRemotingTlsAsync(options.NodeCertificate, cancellation);
        var hocon = await LoadHoconAsync(options.HoconDirectory ?? Path.Combine(AppContext.BaseDirectory, "hocon"), cancellation);
        var tunables = HoconFactory.ParseString(hocon);

        var persistence = string.IsNullOrEmpty(options.Postgres)
            ? PersistenceSettings.SqliteFile(files.JournalFile)
            : PersistenceSettings.Postgres(options.Postgres);
        var features = NodeSettings.Bind(tunables, factory, root, keys.Cast<ISigner>().ToList(), files.OnlineKeys);
        var settings = new ControlPlaneSettings(options.Hostname, options.RemotingPort, options.Seeds.Select(RemotingTls.SeedAddress).ToList(),
            options.Roles.Length > 0 ? options.Roles : ControlPlaneSettings.AllRoles, persistence, features.TargetRegistry, features.Publisher,
            features.DeviceTwins, features.FleetProjection, features.Groups, features.Waves, hocon, options.PublicHostname, discovery);

        // Listings and counts read the fleet table the projection keeps, never the twins.
        builder.Services.AddSingleton(new FleetTable(persistence));
        var cache = new MetadataCache();
        builder.Services.AddSingleton(cache);
        var served = new ServedDevices(cache);
        var denyList = new DeviceDenyList();
        builder.Services.AddSingleton(denyList);
        var tokens = await RegistrationTokens.LoadAsync(files, cancellation);
        builder.Services.AddSingleton(tokens);
        builder.Services.AddSingleton(services => new DeviceDirectory(services.GetRequiredService<IRequiredActor<DeviceTwinActor>>(), served, features.Gateway, TimeProvider.System));
        var commandHost = CommandHostSettings.From(tunables, options.PbmPort, options.Data);
        builder.Services.AddAkka(ControlPlaneSettings.SystemName, (akka, _) => akka
            .WithFleetControlPlane(settings)
            .WithRemotingTls(remotingTls)
            .WithCommandHost(commandHost)
            .WithActors((system, actors, services) =>
            {
                actors.Register<MetadataCacheActor>(system.ActorOf(Props.Create(() => new MetadataCacheActor(cache, actors.Get<TargetRegistryActor>())), "gateway-metadata"));
                system.ActorOf(Props.Create(() => new ServedDevicesActor(served)), "gateway-device-views");
                system.ActorOf(Props.Create(() => new DeviceDenyListActor(denyList, actors.Get<DenyListActor>())), "gateway-deny-list");
                system.ActorOf(Props.Create(() => new DeviceCertificatesActor(services.GetService<DeviceDirectory>())), "gateway-device-certificates");
                system.ActorOf(Props.Create(() => new RegistrationTokenFollowerActor(tokens, actors.Get<RegistrationTokenActor>())), "gateway-registration-token");
            }));

        builder.Services.AddCommandHost(commandHost);
        builder.Services.AddDeviceRateLimit(features.Gateway);
        var advertised = options.PublicHostname ?? options.Hostname;
        var gatewayCertificate = ca.IssueGatewayCertificate([options.Hostname, .. options.PublicHostname is { } name ? [name] : Array.Empty<string>(), .. options.GatewayHostNames]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The largest per-endpoint limit; each endpoint sets its own (RequestSizeLimit metadata).
            kestrel.Limits.MaxRequestBodySize = GatewayEndpoints.MaxEventsBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxConcurrentConnections = features.Gateway.Connections.Max;
            var connectionCaps = new ConnectionCaps(features.Gateway.Connections, kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger<ConnectionCaps>());
            kestrel.Listen(IPAddress.Parse(options.Hostname), options.GatewayPort, listen =>
            {
                // Before TLS: a connection over its address's cap costs no handshake.
                listen.Use(connectionCaps.Middleware);
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = gatewayCertificate,
                    // Registration comes without a certificate; every other endpoint checks it against the device CA.
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (_, _, _) => true,
                });
            });
        });
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("fleet-node");
        logger.LogInformation("factory {Factory}: registry {Registry}, gateway https://{Host}:{Port}, remoting {Host}:{RemotingPort}",
            factory.Factory, factory.Registry, options.Hostname, options.GatewayPort, options.Hostname, options.RemotingPort);

        var gatewayUrl = $"https://{advertised}:{options.GatewayPort}";
        // Resolved on first use: the actor system starts with the host, after this method returns.
        var deviceTwins = app.Services.GetRequiredService<IRequiredActor<DeviceTwinActor>>();
        var deviceGroups = app.Services.GetRequiredService<IRequiredActor<DeviceGroupsActor>>();
        var directory = app.Services.GetRequiredService<DeviceDirectory>();
        GatewayEndpoints.Map(app,
            new RegistrationEndpoint(ca, tokens, features.Gateway.DeviceCertificateLifetime, root, deviceTwins, deviceGroups, gatewayUrl) { DenyList = denyList },
            new RegistrationThrottle(features.Gateway.Registration, TimeProvider.System),
            denyList,
            new DeviceAuthentication(ca, deviceTwins, directory, features.Gateway),
            new CertificateEndpoint(ca, deviceTwins, directory, features.Gateway),
            new RepositoryEndpoints(served, app.Services.GetRequiredService<IRequiredActor<MetadataCacheActor>>()), new ReportEndpoints(deviceTwins));
        return app;
    }

    /// <summary>Discovery settings when discovery endpoints are given; they exclude seeds.</summary>
    private static ClusterDiscoverySettings? DiscoveryOf(NodeOptions options)
    {
        if (options.DiscoveryEndpoints.Length == 0) return null;
        if (options.Seeds.Length > 0) throw new UsageException("give --seed or --discovery-endpoint, not both");
        var discovery = new ClusterDiscoverySettings(options.DiscoveryEndpoints);
        return discovery.Problem is { } problem ? throw new UsageException(problem) : discovery;
    }

    /// <summary>
    /// <c>--seed &lt;address&gt;</c> and <c>--discovery-endpoint &lt;host:port&gt;</c> (repeatable) and <c>--roles a,b</c> as
    /// configuration array entries (<c>Node:Seeds:0</c>, ...), which switch mappings cannot express.
    /// </summary>
    internal static string[] ExpandListSwitches(string[] args)
    {
        var expanded = new List<string>(args.Length);
        var (seeds, endpoints) = (0, 0);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--seed" or "--discovery-endpoint" or "--roles" && i + 1 == args.Length) throw new UsageException($"{args[i]} needs a value");
            if (args[i] == "--seed")
            {
                expanded.AddRange([$"--Node:Seeds:{seeds++}", args[++i]]);
            }
            else if (args[i] == "--discovery-endpoint")
            {
                expanded.AddRange([$"--Node:DiscoveryEndpoints:{endpoints++}", args[++i]]);
            }
            else if (args[i] == "--roles")
            {
                var roles = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                for (var r = 0; r < roles.Length; r++) expanded.AddRange([$"--Node:Roles:{r}", roles[r]]);
            }
            else
            {
                expanded.Add(args[i]);
            }
        }
        return [.. expanded];
    }

    /// <summary>Every <c>*.conf</c> of the folder, in name order (later files override earlier ones).</summary>
    public static async Task<string> LoadHoconAsync(string directory, CancellationToken cancellation)
    {
        if (!Directory.Exists(directory)) return "";
        var parts = new List<string>();
        foreach (var file in Directory.GetFiles(directory, "*.conf").Order(StringComparer.Ordinal))
            parts.Add(await File.ReadAllTextAsync(file, cancellation));
        return string.Join("\n", parts);
    }
}
