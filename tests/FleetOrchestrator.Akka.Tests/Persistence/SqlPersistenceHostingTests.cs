using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using FleetOrchestrator.Infrastructure.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FleetOrchestrator.Infrastructure.Tests.Persistence;

public sealed class SqlPersistenceHostingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fleet-journal-").FullName;

    private string JournalFile => Path.Combine(_directory, "journal.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task<string[]> PersistThenReadAsync(Action<AkkaConfigurationBuilder> persistence, params string[] events)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka("journal-test", akka => persistence(akka));
        using var host = builder.Build();
        await host.StartAsync();
        var log = host.Services.GetRequiredService<ActorSystem>().ActorOf(Recorder<string>.PropsFor("log"));
        foreach (var e in events) log.Tell(e);
        var seen = await log.Ask<string[]>("seen", TimeSpan.FromSeconds(30));
        await host.StopAsync();
        return seen;
    }

    [Fact]
    public async Task A_sqlite_journal_is_in_wal_mode_and_recovers_what_it_wrote()
    {
        void Shared(AkkaConfigurationBuilder akka) =>
            akka.WithSqlJournalAndSnapshots(SqlPersistenceHosting.SqliteConnectionString(JournalFile), SqlPersistenceHosting.SqliteProvider);

        Assert.Equal(["a", "b"], await PersistThenReadAsync(Shared, "a", "b"));
        Assert.Equal(["a", "b", "c"], await PersistThenReadAsync(Shared, "c"));

        await using var connection = new SqliteConnection(SqlPersistenceHosting.SqliteConnectionString(JournalFile));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_journal_the_agent_wrote_with_the_plugins_default_tag_storage_recovers_and_goes_on()
    {
        // The agent's setup before the shared helper: the plugin's default tag storage (a tag table, no tags column).
        var connectionString = SqlPersistenceHosting.SqliteConnectionString(JournalFile);
        Assert.Equal(["before"], await PersistThenReadAsync(akka => akka.WithSqlPersistence(connectionString, SqlPersistenceHosting.SqliteProvider, autoInitialize: true), "before"));

        Assert.Equal(["before", "after"], await PersistThenReadAsync(akka =>
            akka.WithSqlJournalAndSnapshots(connectionString, SqlPersistenceHosting.SqliteProvider), "after"));
        Assert.Equal(["before", "after"], await PersistThenReadAsync(akka =>
            akka.WithSqlJournalAndSnapshots(connectionString, SqlPersistenceHosting.SqliteProvider)));
    }
}
