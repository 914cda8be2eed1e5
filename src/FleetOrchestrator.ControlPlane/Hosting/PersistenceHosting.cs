using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Infrastructure.Persistence;
using Npgsql;

namespace FleetOrchestrator.ControlPlane.Hosting;

/// <summary>Where journal and snapshots live: a SQLite file (embedded mode) or PostgreSQL (cluster mode).</summary>
public sealed record PersistenceSettings(string ConnectionString, string ProviderName)
{
    /// <summary>linq2db provider names the SQL plugin understands.</summary>
    public const string Sqlite = SqlPersistenceHosting.SqliteProvider;
    public const string PostgreSql = "PostgreSQL";

    public static PersistenceSettings SqliteFile(string path) => new(SqlPersistenceHosting.SqliteConnectionString(path), Sqlite);

    /// <summary>Connections one node opens to PostgreSQL unless its connection string says otherwise.</summary>
    public const int DefaultPostgresPoolSize = 20;

    /// <summary>
    /// PostgreSQL, with the pool capped at <see cref="DefaultPostgresPoolSize"/> unless the string sets one: recoveries
    /// run up to 1,000 at once (hocon/fleet.conf), and at Npgsql's default of 100 a single node's burst took every
    /// connection the server allows (default max_connections 100), leaving none for the other nodes.
    /// </summary>
    public static PersistenceSettings Postgres(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!builder.ConnectionString.Contains("Maximum Pool Size", StringComparison.OrdinalIgnoreCase))
            builder.MaxPoolSize = DefaultPostgresPoolSize;
        return new(builder.ConnectionString, PostgreSql);
    }
}

public static class PersistenceHosting
{
    /// <summary>The shared SQL journal and snapshot store, with the device twin events tagged for the fleet projection.</summary>
    public static AkkaConfigurationBuilder WithFleetPersistence(this AkkaConfigurationBuilder builder, PersistenceSettings settings)
    {
        builder.WithSqlJournalAndSnapshots(settings.ConnectionString, settings.ProviderName,
            journal => journal.AddWriteEventAdapter<DeviceTwinTagger>("device-twin-tagger", [typeof(IDeviceTwinEvent)]));
        // Added after the plugin's own settings so that these win. The read journal polls every 200 ms, and
        // waits 200 ms (not 1 s) per try for a gap in the ordering to fill: with writes always in flight
        // there are always gaps, and at 1 s the fleet projection fell minutes behind 100,000 registrations.
        builder.AddHocon("""
            akka.persistence.query.journal.sql {
              refresh-interval = 200ms
              journal-sequence-retrieval.query-delay = 200ms
            }
            """, HoconAddMode.Prepend);
        return builder;
    }
}
