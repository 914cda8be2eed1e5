using FleetOrchestrator.ControlPlane.Hosting;
using Npgsql;
using Xunit;

namespace FleetOrchestrator.ControlPlane.Tests.Hosting;

public sealed class PersistenceSettingsTests
{
    [Fact]
    public void A_postgres_connection_string_without_a_pool_size_gets_the_node_default()
    {
        var settings = PersistenceSettings.Postgres("Host=127.0.0.1;Username=fleet;Password=fleet;Database=fleet");

        var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
        Assert.Equal(PersistenceSettings.DefaultPostgresPoolSize, builder.MaxPoolSize);
        Assert.Equal("fleet", builder.Database);
        Assert.Equal(PersistenceSettings.PostgreSql, settings.ProviderName);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Maximum Pool Size=5", 5)]
    [InlineData("Host=127.0.0.1;maximum pool size=150", 150)]
    public void A_pool_size_the_operator_set_is_kept(string connectionString, int expected) =>
        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(PersistenceSettings.Postgres(connectionString).ConnectionString).MaxPoolSize);
}
