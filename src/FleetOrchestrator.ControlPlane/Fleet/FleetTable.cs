using System.Data.Common;
using System.Runtime.CompilerServices;
using Akka.Persistence.Query;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Hosting;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace FleetOrchestrator.ControlPlane.Fleet;

/// <summary>
/// The fleet table and the projection's offset, in the journal's database (SQLite or PostgreSQL: the SQL
/// used is common to both). The projection writes rows and offset in one transaction, so a restart resumes
/// exactly where the table is; any node reads it for listings and counts without asking a twin.
/// </summary>
public sealed class FleetTable
{
    public const string TableName = "fleet_devices";
    public const string OffsetsTableName = "fleet_projection_offsets";
    /// <summary>Revoked devices' reason, operator and time: a table of its own, so a table made before revocation needs no migration.</summary>
    public const string RevocationsTableName = "fleet_revocations";
    private const string Columns = "device_id, hardware_id, tag, device_group, current_target, status, app_health, registered_at, last_seen";
    /// <summary>What row readers select: the device's columns and its revocation, if any.</summary>
    private const string Select = "SELECT d.device_id, d.hardware_id, d.tag, d.device_group, d.current_target, d.status, d.app_health, d.registered_at, d.last_seen, " +
        $"r.reason, r.revoked_by, r.revoked_at, r.certificate_sha256 FROM {TableName} d LEFT JOIN {RevocationsTableName} r ON r.device_id = d.device_id";

    private static readonly string[] Schema =
    [
        $"""
        CREATE TABLE IF NOT EXISTS {TableName} (
            device_id VARCHAR(63) NOT NULL PRIMARY KEY,
            hardware_id VARCHAR(64) NOT NULL,
            tag VARCHAR(64) NOT NULL,
            device_group VARCHAR(64) NULL,
            current_target VARCHAR(128) NULL,
            status VARCHAR(32) NOT NULL,
            app_health VARCHAR(32) NOT NULL,
            registered_at BIGINT NOT NULL,
            last_seen BIGINT NOT NULL)
        """,
        $"CREATE INDEX IF NOT EXISTS {TableName}_tag ON {TableName} (tag, device_id)",
        $"CREATE INDEX IF NOT EXISTS {TableName}_group ON {TableName} (device_group, device_id)",
        $"CREATE INDEX IF NOT EXISTS {TableName}_target ON {TableName} (current_target, device_id)",
        $"CREATE INDEX IF NOT EXISTS {TableName}_status ON {TableName} (status, device_id)",
        $"CREATE TABLE IF NOT EXISTS {OffsetsTableName} (projection VARCHAR(64) NOT NULL PRIMARY KEY, ordering BIGINT NOT NULL)",
        $"""
        CREATE TABLE IF NOT EXISTS {RevocationsTableName} (
            device_id VARCHAR(63) NOT NULL PRIMARY KEY,
            reason VARCHAR(500) NOT NULL,
            revoked_by VARCHAR(128) NOT NULL,
            revoked_at BIGINT NOT NULL,
            certificate_sha256 VARCHAR(64) NOT NULL)
        """,
    ];

    private readonly PersistenceSettings _settings;
    private readonly Lock _schemaGate = new();
    private Task? _schema;

    public FleetTable(PersistenceSettings settings) => _settings = settings;

    /// <summary>The offset (journal ordering) the projection has applied up to; 0 when it never ran.</summary>
    public async Task<long> OffsetAsync(string projection, CancellationToken cancellation = default)
    {
        await using var connection = await OpenAsync(cancellation);
        await using var command = Command(connection, $"SELECT ordering FROM {OffsetsTableName} WHERE projection = @projection", ("projection", projection));
        return await command.ExecuteScalarAsync(cancellation) is { } value and not DBNull ? Convert.ToInt64(value) : 0;
    }

    /// <summary>Applies a batch of journal events to the rows and stores the batch's last offset, in one transaction; returns that offset.</summary>
    public async Task<long> ApplyAsync(string projection, IReadOnlyList<EventEnvelope> batch, CancellationToken cancellation = default)
    {
        var offset = batch.Select(e => e.Offset is Sequence s ? s.Value : 0).DefaultIfEmpty(0).Max();
        var events = batch.Select(e => e.Event).OfType<IDeviceTwinEvent>().ToList();
        await using var connection = await OpenAsync(cancellation);
        await using var transaction = await connection.BeginTransactionAsync(cancellation);
        var rows = await LoadAsync(connection, transaction, events.Select(e => e.DeviceId).Distinct(StringComparer.Ordinal).ToList(), cancellation);
        var changed = new Dictionary<string, FleetRow>(StringComparer.Ordinal);
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e is DeviceWasDeleted)
            {
                rows.Remove(e.DeviceId);
                changed.Remove(e.DeviceId);
                deleted.Add(e.DeviceId);
                continue;
            }
            if (FleetRow.Apply(rows.GetValueOrDefault(e.DeviceId), e) is not { } row) continue;
            rows[e.DeviceId] = changed[e.DeviceId] = row;
        }
        // Deletions first: a released name registered again in the same batch is a new device, in a new row without the old revocation.
        foreach (var device in deleted) await DeleteAsync(connection, transaction, device, cancellation);
        foreach (var row in changed.Values) await UpsertAsync(connection, transaction, row, cancellation);
        await using (var command = Command(connection,
                         $"INSERT INTO {OffsetsTableName} (projection, ordering) VALUES (@projection, @ordering) ON CONFLICT (projection) DO UPDATE SET ordering = excluded.ordering",
                         ("projection", projection), ("ordering", offset)))
        {
            command.Transaction = transaction;
            await command.ExecuteNonQueryAsync(cancellation);
        }
        await transaction.CommitAsync(cancellation);
        return offset;
    }

    public async Task<FleetRow?> GetAsync(string deviceId, CancellationToken cancellation = default)
    {
        await using var connection = await OpenAsync(cancellation);
        return (await LoadAsync(connection, null, [deviceId], cancellation)).GetValueOrDefault(deviceId);
    }

    /// <summary>Rows matching <paramref name="query"/> in device id order (keyset pagination with <see cref="FleetQuery.After"/>).</summary>
    public async Task<IReadOnlyList<FleetRow>> ListAsync(FleetQuery query, CancellationToken cancellation = default)
    {
        if (query.Limit is < 1 or > FleetQuery.MaxLimit)
            throw new ArgumentOutOfRangeException(nameof(query), query.Limit, $"limit must be 1..{FleetQuery.MaxLimit}");
        var (where, parameters) = Where(query);
        if (query.After is { } after)
        {
            where += (where.Length == 0 ? " WHERE" : " AND") + " d.device_id > @after";
            parameters.Add(("after", after));
        }
        parameters.Add(("limit", query.Limit));
        await using var connection = await OpenAsync(cancellation);
        await using var command = Command(connection, $"{Select}{where} ORDER BY d.device_id LIMIT @limit", [.. parameters]);
        return await ReadRowsAsync(command, cancellation);
    }

    /// <summary>Every row matching the filters of <paramref name="query"/>, in pages of <see cref="FleetQuery.MaxLimit"/> (its paging fields are ignored).</summary>
    public async IAsyncEnumerable<IReadOnlyList<FleetRow>> PagesAsync(FleetQuery query, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        query = query with { After = null, Limit = FleetQuery.MaxLimit };
        while (true)
        {
            var rows = await ListAsync(query, cancellation);
            yield return rows;
            if (rows.Count < query.Limit) yield break;
            query = query with { After = rows[^1].DeviceId };
        }
    }

    /// <summary>How many rows match the filters of <paramref name="query"/> (its paging fields are ignored).</summary>
    public async Task<long> CountAsync(FleetQuery query, CancellationToken cancellation = default)
    {
        var (where, parameters) = Where(query);
        await using var connection = await OpenAsync(cancellation);
        await using var command = Command(connection, $"SELECT COUNT(*) FROM {TableName} d{where}", [.. parameters]);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellation));
    }

    /// <summary>Row counts per status among rows matching the filters of <paramref name="query"/>.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountByStatusAsync(FleetQuery query, CancellationToken cancellation = default)
    {
        var (where, parameters) = Where(query);
        await using var connection = await OpenAsync(cancellation);
        await using var command = Command(connection, $"SELECT d.status, COUNT(*) FROM {TableName} d{where} GROUP BY d.status", [.. parameters]);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        while (await reader.ReadAsync(cancellation)) counts[reader.GetString(0)] = reader.GetInt64(1);
        return counts;
    }

    private static (string Where, List<(string, object?)> Parameters) Where(FleetQuery query)
    {
        var clauses = new List<string>();
        var parameters = new List<(string, object?)>();
        foreach (var (column, value) in new[] { ("tag", query.Tag), ("device_group", query.Group), ("current_target", query.Target), ("status", query.Status) })
        {
            if (value is null) continue;
            clauses.Add($"d.{column} = @{column}");
            parameters.Add((column, value));
        }
        return (clauses.Count == 0 ? "" : " WHERE " + string.Join(" AND ", clauses), parameters);
    }

    private static async Task<Dictionary<string, FleetRow>> LoadAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<string> deviceIds, CancellationToken cancellation)
    {
        var rows = new Dictionary<string, FleetRow>(StringComparer.Ordinal);
        // Chunks keep the parameter count far below every database's limit.
        foreach (var chunk in deviceIds.Chunk(500))
        {
            var names = chunk.Select((_, i) => $"@d{i}").ToList();
            await using var command = Command(connection, $"{Select} WHERE d.device_id IN ({string.Join(", ", names)})",
                [.. chunk.Select((id, i) => ($"d{i}", (object?)id))]);
            command.Transaction = transaction;
            foreach (var row in await ReadRowsAsync(command, cancellation)) rows[row.DeviceId] = row;
        }
        return rows;
    }

    private static async Task UpsertAsync(DbConnection connection, DbTransaction transaction, FleetRow row, CancellationToken cancellation)
    {
        await using var command = Command(connection,
            $"""
            INSERT INTO {TableName} ({Columns})
            VALUES (@device_id, @hardware_id, @tag, @device_group, @current_target, @status, @app_health, @registered_at, @last_seen)
            ON CONFLICT (device_id) DO UPDATE SET hardware_id = excluded.hardware_id, tag = excluded.tag, device_group = excluded.device_group,
                current_target = excluded.current_target, status = excluded.status, app_health = excluded.app_health,
                registered_at = excluded.registered_at, last_seen = excluded.last_seen
            """,
            ("device_id", row.DeviceId), ("hardware_id", row.HardwareId), ("tag", row.Tag), ("device_group", row.Group),
            ("current_target", row.CurrentTarget), ("status", row.Status), ("app_health", row.AppHealth),
            ("registered_at", row.RegisteredAt.ToUnixTimeMilliseconds()), ("last_seen", row.LastSeen.ToUnixTimeMilliseconds()));
        command.Transaction = transaction;
        await command.ExecuteNonQueryAsync(cancellation);
        if (row.Revocation is not { } revocation) return;
        await using var revoked = Command(connection,
            $"""
            INSERT INTO {RevocationsTableName} (device_id, reason, revoked_by, revoked_at, certificate_sha256)
            VALUES (@device_id, @reason, @revoked_by, @revoked_at, @certificate_sha256)
            ON CONFLICT (device_id) DO UPDATE SET reason = excluded.reason, revoked_by = excluded.revoked_by,
                revoked_at = excluded.revoked_at, certificate_sha256 = excluded.certificate_sha256
            """,
            ("device_id", row.DeviceId), ("reason", revocation.Reason), ("revoked_by", revocation.By),
            ("revoked_at", revocation.At.ToUnixTimeMilliseconds()), ("certificate_sha256", revocation.CertificateSha256));
        revoked.Transaction = transaction;
        await revoked.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>A deleted device leaves the table, with its revocation: listings, groups and waves no longer see it.</summary>
    private static async Task DeleteAsync(DbConnection connection, DbTransaction transaction, string deviceId, CancellationToken cancellation)
    {
        foreach (var table in new[] { RevocationsTableName, TableName })
        {
            await using var command = Command(connection, $"DELETE FROM {table} WHERE device_id = @device_id", ("device_id", deviceId));
            command.Transaction = transaction;
            await command.ExecuteNonQueryAsync(cancellation);
        }
    }

    private static async Task<List<FleetRow>> ReadRowsAsync(DbCommand command, CancellationToken cancellation)
    {
        var rows = new List<FleetRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        while (await reader.ReadAsync(cancellation))
        {
            rows.Add(new FleetRow(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetString(5), reader.GetString(6),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
                reader.IsDBNull(9) ? null : new DeviceRevocation(reader.GetString(9), reader.GetString(10),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(11)), reader.GetString(12))));
        }
        return rows;
    }

    private static DbCommand Command(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellation)
    {
        Task schema;
        // Created once per process; a failed attempt (database not reachable yet) is retried by the next caller.
        lock (_schemaGate) schema = _schema is null || _schema.IsFaulted ? _schema = CreateSchemaAsync() : _schema;
        await schema.WaitAsync(cancellation);
        return await OpenConnectionAsync(cancellation);
    }

    private async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellation)
    {
        DbConnection connection = _settings.ProviderName == PersistenceSettings.PostgreSql
            ? new NpgsqlConnection(_settings.ConnectionString)
            : new SqliteConnection(_settings.ConnectionString);
        await connection.OpenAsync(cancellation);
        return connection;
    }

    private async Task CreateSchemaAsync()
    {
        await using var connection = await OpenConnectionAsync(CancellationToken.None);
        foreach (var statement in Schema)
        {
            await using var command = Command(connection, statement);
            await command.ExecuteNonQueryAsync();
        }
    }
}
