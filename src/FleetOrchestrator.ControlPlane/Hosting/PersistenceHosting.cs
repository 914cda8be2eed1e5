using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using FleetOrchestrator.ControlPlane.Devices;

namespace FleetOrchestrator.ControlPlane.Hosting;

/// <summary>Where journal and snapshots live: a SQLite file (embedded mode) or PostgreSQL (cluster mode).</summary>
public sealed record PersistenceSettings(string ConnectionString, string ProviderName)
{
    /// <summary>linq2db provider names the SQL plugin understands.</summary>
    public const string Sqlite = "SQLite.MS";
    public const string PostgreSql = "PostgreSQL";

    public static PersistenceSettings SqliteFile(string path) => new($"Data Source={path};Pooling=True", Sqlite);

    public static PersistenceSettings Postgres(string connectionString) => new(connectionString, PostgreSql);
}

public static class PersistenceHosting
{
    /// <summary>
    /// Akka.Persistence.Sql as the default journal and snapshot store (tables created on first use), with the
    /// device twin events tagged for the fleet projection.
    /// </summary>
    public static AkkaConfigurationBuilder WithFleetPersistence(this AkkaConfigurationBuilder builder, PersistenceSettings settings) =>
        builder.WithSqlPersistence(settings.ConnectionString, settings.ProviderName, autoInitialize: true,
            journalBuilder: journal => journal.AddWriteEventAdapter<DeviceTwinTagger>("device-twin-tagger", [typeof(IDeviceTwinEvent)]));
}
