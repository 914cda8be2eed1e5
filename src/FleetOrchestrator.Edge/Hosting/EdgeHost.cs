using Akka.Actor;
using Akka.Hosting;
using Docker.DotNet;
using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Edge.Compose;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Gateway;
using FleetOrchestrator.Edge.Registration;
using FleetOrchestrator.Edge.Runtime;
using FleetOrchestrator.Infrastructure.Hosting;
using FleetOrchestrator.Infrastructure.Persistence;
using FleetOrchestrator.Infrastructure.Serialization;
using FleetOrchestrator.Oci;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FleetOrchestrator.Edge.Hosting;

/// <summary>
/// The agent's local ActorSystem (not a cluster member) under Akka.Hosting: journal and snapshots in the data
/// directory's SQLite file, the fleet serializer for persisted records, and the <see cref="DeviceAgentActor"/>.
/// </summary>
public static class EdgeHost
{
    public const string SystemName = "fleet-edge";

    public const string LockFileName = "agent.lock";

    /// <summary>
    /// Holds the data directory for one agent process (an exclusive lock on <c>agent.lock</c>, released when disposed or
    /// when the process dies): the daemon and an <c>update --once</c> must never drive the same apps and journal at once.
    /// </summary>
    /// <exception cref="IOException">Another agent holds it; the message says so.</exception>
    public static FileStream LockDataDirectory(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, LockFileName);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"another fleet-edge agent is running on {dataDirectory} ({path} is locked); stop it first", e);
        }
    }

    /// <param name="poll">True for the daemon (cycles every poll interval); false when cycles are asked for (update --once).</param>
    public static async Task<IHost> BuildAsync(EdgeSettings settings, bool poll, CancellationToken ct)
    {
        var compose = settings.ComposeCommand is { } configured ? ComposeCommand.Parse(configured) : await ComposeCommand.DetectAsync(ct);
        var gateway = GatewayHttp.ForDevice(settings);
        var registry = RegistryClient(settings);
        var docker = new DockerClientConfiguration().CreateClient();
        var runtime = new ComposeRuntime(compose, docker, new ComposeOptions { Mirrors = settings.Mirrors });
        var steps = new UpdateSteps(settings, gateway.Http, registry, runtime, TimeProvider.System, new CertificateRenewer(settings.Files, gateway, TimeProvider.System));

        var builder = CreateBuilder(settings.JournalFile, LogLevel.Information, (system, actors) =>
            actors.Register<DeviceAgentActor>(system.ActorOf(DeviceAgentActor.PropsFor(settings, steps, gateway.Http, TimeProvider.System, poll), "device-agent")));
        builder.Services.AddSingleton(gateway.Http);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton<IDockerClient>(docker);
        return builder.Build();
    }

    /// <summary>The OCI registry client a device's settings ask for (plain HTTP, mirrors).</summary>
    public static OciRegistryClient RegistryClient(EdgeSettings settings) =>
        new(new RegistryClientOptions { PlainHttp = settings.RegistryPlainHttp, Mirrors = settings.Mirrors });

    /// <summary>
    /// A host for agents: logs on stderr from <paramref name="minimumLevel"/> (stdout carries the command's own result),
    /// sd_notify under systemd, one ActorSystem journaling to the SQLite <paramref name="journalFile"/>, and
    /// <paramref name="startAgents"/> to create the agent actors; <paramref name="hocon"/> is laid over the defaults.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string journalFile, LogLevel minimumLevel, Action<ActorSystem, IActorRegistry> startAgents, string hocon = "")
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSystemd(); // sd_notify READY and journald-friendly logs under systemd; a no-op elsewhere
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(minimumLevel);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            options.UseUtcTimestamp = true;
        });
        builder.Services.AddAkka(SystemName, (akka, _) => akka
            .ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            })
            // The agents' and the outboxes' journal in one SQLite file, read beside its one writer: what a simulated
            // fleet recovering from one file needs.
            .WithSqlJournalAndSnapshots(SqlPersistenceHosting.SqliteConnectionString(journalFile), SqlPersistenceHosting.SqliteProvider)
            // Timers on the runtime's timer queue: an idle agent does not wake between them (TimerQueueScheduler).
            // After the journal's settings, so that the caller's hocon wins over them.
            .AddHocon(hocon + "\n" + TimerQueueScheduler.Hocon, HoconAddMode.Prepend)
            .WithFleetSerializer(EdgeMessages.Table)
            .WithActors(startAgents));
        return builder;
    }

    public static Task<IActorRef> AgentAsync(IHost host) => host.Services.GetRequiredService<ActorRegistry>().GetAsync<DeviceAgentActor>();
}
