using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.CommandHost;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Waves;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Repository;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using FleetOrchestrator.Node;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace FleetOrchestrator.Node.Benchmarks;

/// <summary>
/// One embedded control-plane node in the benchmark's process (all roles, Akka.Hosting as the node builds it),
/// journal in a SQLite file or, with <c>--postgres &lt;connection string&gt;</c>, in a fresh PostgreSQL database
/// that disposing drops. Twins are never passivated during a run.
/// </summary>
internal sealed class EmbeddedNode : IAsyncDisposable
{
    private readonly string _data;
    private readonly string _postgres;
    private readonly string _database;

    private EmbeddedNode(IHost host, ControlPlaneSettings settings, string data, string postgres, string database)
    {
        Host = host;
        Settings = settings;
        _data = data;
        _postgres = postgres;
        _database = database;
    }

    public IHost Host { get; }
    public ControlPlaneSettings Settings { get; }
    public PersistenceSettings Persistence => Settings.Persistence;
    public string JournalName => _postgres.Length > 0 ? "PostgreSQL" : "SQLite file";

    /// <param name="waves">Changes the run makes to the waves settings the node binds from hocon/.</param>
    public static async Task<EmbeddedNode> StartAsync(Options options, Func<WavesSettings, WavesSettings>? waves = null)
    {
        var data = Path.Combine(Path.GetTempPath(), "fleet-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        var postgres = options.String("postgres");
        var database = "fleet_bench_" + Guid.NewGuid().ToString("N")[..8];
        if (postgres.Length > 0) await PostgresAsync(postgres, $"CREATE DATABASE {database}");
        var persistence = postgres.Length > 0
            ? PersistenceSettings.Postgres(new NpgsqlConnectionStringBuilder(postgres) { Database = database }.ConnectionString)
            : PersistenceSettings.SqliteFile(Path.Combine(data, "journal.db"));
        var (repository, keys) = TufRepository.Create();
        // The node's own tunables (hocon/ as fleet-node loads it), then the run's overrides.
        var hocon = await NodeHost.LoadHoconAsync(Path.Combine(AppContext.BaseDirectory, "hocon"), CancellationToken.None)
            + "\nakka.loglevel = WARNING\n" + options.String("hocon");
        var tunables = Akka.Configuration.ConfigurationFactory.ParseString(hocon);
        var features = NodeSettings.Bind(tunables, new FactorySettings("bench", "127.0.0.1:5000", true),
            repository.Root.ToBytes(), keys.Values.SelectMany(k => k).Cast<ISigner>().ToList(), keyStore: null);
        var settings = new ControlPlaneSettings("127.0.0.1", 0, [], ControlPlaneSettings.AllRoles, persistence,
            features.TargetRegistry, features.Publisher,
            // Idle passivation far beyond the run: every twin stays live to be measured.
            features.DeviceTwins with { PassivateIdleAfter = TimeSpan.FromHours(1) },
            features.FleetProjection, features.Groups, waves?.Invoke(features.Waves) ?? features.Waves, hocon);
        // The command host as fleet-node runs it (loopback, no tokens): what pbm talks to.
        var commandHost = CommandHostSettings.From(tunables, 0, data) with { AskTimeout = TimeSpan.FromSeconds(30) };
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(new FleetTable(persistence));
        builder.Services.AddAkka(ControlPlaneSettings.SystemName, akka => akka.WithFleetControlPlane(settings).WithCommandHost(commandHost));
        builder.Services.AddCommandHost(commandHost);
        var host = builder.Build();
        await host.StartAsync();
        return new EmbeddedNode(host, settings, data, postgres, database);
    }

    /// <summary>Where the command host listens.</summary>
    public Task<System.Net.IPEndPoint> CommandHostAsync() => Host.Services.GetRequiredService<CommandHostEndpoint>().Bound;

    public Task<IActorRef> ActorAsync<T>() => Host.Services.GetRequiredService<ActorRegistry>().GetAsync<T>();

    /// <summary>Registers <paramref name="count"/> new twins <c>prefix-000000…</c> through the shard region, <paramref name="inFlight"/> at a time, as the gateway does after issuing a certificate.</summary>
    public async Task RegisterAsync(string prefix, int count, int inFlight, string tag = "main", Func<int, string>? group = null)
    {
        var twins = await ActorAsync<DeviceTwinActor>();
        await ForEachAsync(Enumerable.Range(0, count).ToList(), inFlight, async i =>
        {
            var name = $"{prefix}-{i:D6}";
            var register = new RegisterDevice(name, "rpi4", tag, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))), group?.Invoke(i) ?? "lab");
            var answer = await twins.Ask(register, TimeSpan.FromSeconds(120));
            if (answer is not DeviceRegistered) throw new InvalidOperationException($"{name}: {answer}");
        });
    }

    /// <summary>Runs <paramref name="action"/> for every item, <paramref name="inFlight"/> at a time.</summary>
    public static async Task ForEachAsync<T>(IReadOnlyList<T> items, int inFlight, Func<T, Task> action)
    {
        using var slots = new SemaphoreSlim(inFlight);
        var pending = new List<Task>(items.Count);
        foreach (var item in items)
        {
            await slots.WaitAsync();
            pending.Add(Task.Run(async () =>
            {
                try { await action(item); }
                finally { slots.Release(); }
            }));
        }
        await Task.WhenAll(pending);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
        Directory.Delete(_data, recursive: true);
        NpgsqlConnection.ClearAllPools();
        if (_postgres.Length > 0) await PostgresAsync(_postgres, $"DROP DATABASE {_database} WITH (FORCE)");
    }

    internal static async Task PostgresAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
