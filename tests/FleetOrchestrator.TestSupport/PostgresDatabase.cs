using Npgsql;

namespace FleetOrchestrator.TestSupport;

/// <summary>
/// A throwaway database on the PostgreSQL server `./build.sh infra up` starts (connection from
/// <c>FLEET_TEST_POSTGRES</c>, else the role it creates on 127.0.0.1:5432). Tests that need it fail,
/// never skip, when the server is missing. Dropped on dispose.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    private const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=fleet;Password=fleet;Database=postgres";
    private readonly string _server;

    private PostgresDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public string Name { get; }
    public string ConnectionString { get; }

    public static async Task<PostgresDatabase> CreateAsync()
    {
        var server = Environment.GetEnvironmentVariable("FLEET_TEST_POSTGRES") is { Length: > 0 } configured ? configured : DefaultServer;
        var name = "fleet_test_" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            await using var connection = new NpgsqlConnection(server);
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException)
        {
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable with \"{new NpgsqlConnectionStringBuilder(server) { Password = null }}\": run './build.sh infra up' (CI=" +
                (Environment.GetEnvironmentVariable("CI") ?? "false") + "). " + e.Message, e);
        }
        return new PostgresDatabase(server, name);
    }

    /// <summary>The number of rows of a table of this database (e.g. to see that a journal is really here).</summary>
    public async Task<long> CountRowsAsync(string table)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM \"{table.Replace("\"", "\"\"")}\"", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
