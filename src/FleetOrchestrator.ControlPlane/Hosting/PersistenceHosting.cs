using Akka.Hosting;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace FleetOrchestrator.ControlPlane.Hosting;

/// <summary>Where journal and snapshots live: a SQLite file (embedded mode) or PostgreSQL (cluster mode).</summary>
public sealed record PersistenceSettings(string ConnectionString, string ProviderName)
{
    /// <summary>linq2db provider names the SQL plugin understands.</summary>
    public const string Sqlite = "SQLite.MS";
    public const string PostgreSql = "PostgreSQL";

    public static PersistenceSettings SqliteFile(string path) => new($"Data Source={path};Pooling=True", Sqlite);

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
    /// <summary>
    /// Akka.Persistence.Sql as the default journal and snapshot store (tables created on first use), with the
    /// device twin events tagged for the fleet projection.
    /// </summary>
    public static AkkaConfigurationBuilder WithFleetPersistence(this AkkaConfigurationBuilder builder, PersistenceSettings settings)
    {
        if (settings.ProviderName == PersistenceSettings.Sqlite) UseWriteAheadLog(settings.ConnectionString);
        // Tags live in the journal row (Csv), not in the tag table: with linq2db 6.5.1 the plugin's tag-table read
        // aggregates each returned row's tags with a subquery over the whole tags table (GROUP_CONCAT(CASE …) with
        // no WHERE), so every EventsByTag batch of the fleet projection cost O(journal size) per row. Csv reads are a
        // range scan on the ordering key, and each event is one insert instead of two.
        builder.WithSqlPersistence(settings.ConnectionString, settings.ProviderName, autoInitialize: true, tagStorageMode: TagMode.Csv,
            journalBuilder: journal => journal.AddWriteEventAdapter<DeviceTwinTagger>("device-twin-tagger", [typeof(IDeviceTwinEvent)]));
        // Added after the plugin's own settings so that these win. The read journal polls every 200 ms, and
        // waits 200 ms (not 1 s) per try for a gap in the ordering to fill: with writes always in flight
        // there are always gaps, and at 1 s the fleet projection fell minutes behind 100,000 registrations.
        builder.AddHocon("""
            akka.persistence.query.journal.sql {
              refresh-interval = 200ms
              journal-sequence-retrieval.query-delay = 200ms
            }
            """, HoconAddMode.Prepend);
        // SQLite has one writer at a time: concurrent journal writers only wait on each other's locks
        // (busy retries), while one writer still batches many actors' events per transaction.
        // Reads ask for read-uncommitted only because Microsoft.Data.Sqlite opens that level with a deferred BEGIN
        // (any other level takes the write lock at once with BEGIN IMMEDIATE, so every recovery queued behind the
        // journal's writes); without shared cache SQLite still shows a read only committed data, in WAL mode a
        // consistent snapshot of it. 10,000 registrations went from 349/s to 435/s.
        if (settings.ProviderName == PersistenceSettings.Sqlite)
            builder.AddHocon("""
                akka.persistence.journal.sql.parallelism = 1
                akka.persistence.journal.sql.read-isolation-level = read-uncommitted
                akka.persistence.snapshot-store.sql.read-isolation-level = read-uncommitted
                akka.persistence.query.journal.sql.read-isolation-level = read-uncommitted
                """, HoconAddMode.Prepend);
        return builder;
    }

    /// <summary>
    /// Puts the SQLite file in write-ahead-log mode (a setting stored in the file, so once is enough): the journal's
    /// writes, the read journal's polling and the fleet projection's transactions then no longer block each other.
    /// </summary>
    private static void UseWriteAheadLog(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL";
        command.ExecuteNonQuery();
    }
}
