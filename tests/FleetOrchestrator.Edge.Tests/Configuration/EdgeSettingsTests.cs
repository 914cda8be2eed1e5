using FleetOrchestrator.Edge.Configuration;

namespace FleetOrchestrator.Edge.Tests.Configuration;

public sealed class EdgeSettingsTests
{
    private const string Identity = """
        fleet.edge { gateway = "https://127.0.0.1:8443", device-name = d1, hardware-id = rpi4, tag = main }
        """;

    private static EdgeSettings Parse(string extra = "") => EdgeSettings.Parse(Identity + "\n" + extra, "/data/agent");

    [Fact]
    public void An_operators_config_from_the_gateway_wins_over_tag_and_apps()
    {
        var settings = Parse("fleet.edge.apps = [web]");
        Assert.Equal(new Protocol.DeviceApi.DeviceConfig(settings.Tag, ["web"]), settings.Follow(null));
        Assert.Equal(Protocol.DeviceApi.DeviceConfig.Of("prod", []), settings.Follow(Protocol.DeviceApi.DeviceConfig.Of("prod", [])));
    }

    [Fact]
    public void Defaults_match_the_reference_and_folders_live_in_the_data_directory()
    {
        var settings = Parse();

        Assert.Equal(new Uri("https://127.0.0.1:8443/"), settings.Gateway);
        Assert.Equal(TimeSpan.FromSeconds(300), settings.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.PollJitter);
        Assert.Same(AppSelection.All, settings.Apps);
        Assert.Equal("/data/agent/compose-apps", settings.AppsRoot);
        Assert.Equal("/data/agent/store", settings.StoreRoot);
        Assert.Equal("/data/agent/agent.db", settings.JournalFile);
        Assert.Equal(0.8, settings.StorageWatermark);
        Assert.Equal((3, TimeSpan.FromSeconds(2)), (settings.FetchAttempts, settings.FetchMinBackoff));
        Assert.Equal(TimeSpan.FromSeconds(60), settings.ConfirmationWindow);
        Assert.False(settings.DowngradeAllowed);
        Assert.Null(settings.ComposeCommand);
        Assert.Empty(settings.Mirrors);
        Assert.Equal("", settings.Group);
    }

    [Theory]
    [InlineData("fleet.edge.apps = none", "none")]
    [InlineData("fleet.edge.apps = all", "all")]
    [InlineData("fleet.edge.apps = [web, httpd, web]", "[httpd, web]")]
    [InlineData("fleet.edge.apps = []", "none")]
    public void Apps_selection_is_all_none_or_a_sorted_list(string line, string expected) =>
        Assert.Equal(expected, Parse(line).Apps.ToString());

    [Fact]
    public void Every_setting_can_be_overridden()
    {
        var settings = Parse("""
            fleet.edge {
              poll-interval = 10s
              poll-jitter = 0s
              apps-root = /srv/apps
              store-root = blobs
              storage-watermark = 0.5
              fetch { attempts = 5, min-backoff = 1s }
              health { confirmation-window = 5s, start-timeout = 1m, check-interval = 500ms }
              downgrade-allowed = true
              compose-command = "docker-compose"
              registry { plain-http = true, mirrors { "docker.io" = "127.0.0.1:5000" } }
              outbox { batch-size = 10, retry-interval = 2s }
            }
            """);

        Assert.Equal(TimeSpan.FromSeconds(10), settings.PollInterval);
        Assert.Equal(TimeSpan.Zero, settings.PollJitter);
        Assert.Equal("/srv/apps", settings.AppsRoot);
        Assert.Equal("/data/agent/blobs", settings.StoreRoot);
        Assert.Equal(0.5, settings.StorageWatermark);
        Assert.Equal((5, TimeSpan.FromSeconds(1)), (settings.FetchAttempts, settings.FetchMinBackoff));
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(500)),
            (settings.ConfirmationWindow, settings.StartTimeout, settings.HealthCheckInterval));
        Assert.True(settings.DowngradeAllowed);
        Assert.Equal("docker-compose", settings.ComposeCommand);
        Assert.True(settings.RegistryPlainHttp);
        Assert.Equal("127.0.0.1:5000", settings.Mirrors["docker.io"]);
        Assert.Equal((10, TimeSpan.FromSeconds(2)), (settings.OutboxBatchSize, settings.OutboxRetryInterval));
    }

    [Theory]
    [InlineData("fleet.edge.storage-watermark = 1.5", "fleet.edge.storage-watermark = \"1.5\" must be a number in (0, 1]")]
    [InlineData("fleet.edge.storage-watermark = lots", "fleet.edge.storage-watermark = \"lots\"")]
    [InlineData("fleet.edge.poll-interval = 0s", "fleet.edge.poll-interval = \"0s\" must be between")]
    [InlineData("fleet.edge.poll-interval = soon", "fleet.edge.poll-interval = \"soon\" is not a duration")]
    [InlineData("fleet.edge.apps = some", "fleet.edge.apps = \"some\" must be all, none or a list")]
    [InlineData("fleet.edge.apps = [Web]", "fleet.edge.apps = \"Web\"")]
    [InlineData("fleet.edge.downgrade-allowed = maybe", "fleet.edge.downgrade-allowed = \"maybe\" must be true or false")]
    [InlineData("fleet.edge.gateway = \"http://127.0.0.1\"", "fleet.edge.gateway = \"http://127.0.0.1\" must be an absolute https:// URL")]
    [InlineData("fleet.edge.tag = \"\"", "fleet.edge.tag = \"\" must be set")]
    [InlineData("fleet.edge.store-root = compose-apps", "must differ from store-root")]
    [InlineData("fleet.edge.outbox.batch-size = 0", "fleet.edge.outbox.batch-size = \"0\" must be an integer from 1 to 1000")]
    [InlineData("fleet.edge.registry.mirrors { \"docker.io\" = \"a/b\" }", "must be a registry host[:port]")]
    [InlineData("fleet.edge.health.check-interval = 1ms", "fleet.edge.health.check-interval = \"1ms\" must be between")]
    public void A_bad_value_is_named_with_its_key(string line, string expected)
    {
        var error = Assert.Throws<EdgeSettingsException>(() => Parse(line));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Loading_without_a_settings_file_says_to_register_first()
    {
        var error = Assert.Throws<EdgeSettingsException>(() => EdgeSettings.Load("/nonexistent/fleet-edge"));
        Assert.Contains("register the device first", error.Message);
    }
}
