using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Infrastructure.Hosting;

namespace FleetOrchestrator.CommandHost.Tests;

public sealed class OperatorTokensTests
{
    [Fact]
    public void Tokens_are_known_by_their_hash_with_their_role_and_name()
    {
        var tokens = OperatorTokens.Parse($"# operators\nviewer {OperatorTokens.Hash("v-token")}\n\nADMIN {OperatorTokens.Hash("a-token").ToUpperInvariant().Replace("SHA256", "sha256")} alice@acme\n", "tokens");

        Assert.True(tokens.Required);
        // A line without a name (the format before names) still works: named after its hash.
        Assert.Equal(new OperatorIdentity("token-" + OperatorTokens.Hash("v-token")[7..15], OperatorRole.Viewer), tokens.Identify("v-token"));
        Assert.Equal(new OperatorIdentity("alice@acme", OperatorRole.Admin), tokens.Identify("a-token"));
        Assert.Null(tokens.Identify("other"));
        Assert.Null(tokens.Identify(null));
        Assert.False(OperatorTokens.None.Required);
        Assert.Equal("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", OperatorTokens.Hash("test"));
    }

    [Theory]
    [InlineData("viewer", "tokens:1: expected \"<role> sha256:<hex> [<name>]\", got 1 fields")]
    [InlineData("viewer sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 alice bob", "tokens:1: expected \"<role> sha256:<hex> [<name>]\", got 4 fields")]
    [InlineData("viewer sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 Alice", "tokens:1: invalid operator name \"Alice\": use 1-64 of a-z 0-9 . _ @ - starting with a letter or digit")]
    [InlineData("viewer sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 alice\nadmin sha256:0f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 alice", "tokens:2: the name alice is given to another token; each token needs its own")]
    [InlineData("root sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "tokens:1: unknown role \"root\"; roles: viewer, operator, admin")]
    [InlineData("1 sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "tokens:1: unknown role \"1\"; roles: viewer, operator, admin")]
    [InlineData("# c\nviewer my-plain-token", "tokens:2: the token must be given as sha256:<64 hex digits> of its text")]
    [InlineData("viewer sha256:9f86\nadmin x", "tokens:1: the token must be given as sha256:<64 hex digits> of its text")]
    [InlineData("viewer sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\nadmin sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "tokens:2: the same token is listed twice")]
    public void A_bad_line_is_refused_with_its_line_number(string text, string message) =>
        Assert.Equal(message, Assert.Throws<CommandHostConfigurationException>(() => OperatorTokens.Parse(text, "tokens")).Message);

    internal static readonly TokenThrottleSettings Throttle = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), 100, TimeSpan.FromHours(1));

    private static CommandHostSettings Settings(string hostname, OperatorTokens tokens, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null) =>
        new(hostname, 9110, tokens, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), Throttle, Certificate: certificate);

    [Theory]
    [InlineData("0.0.0.0", false, false, "fleet.command-host.tokens-file is not set and fleet.command-host.tls.certificate is not set")]
    [InlineData("192.168.1.10", true, false, "fleet.command-host.tls.certificate is not set")]
    [InlineData("192.168.1.10", false, true, "fleet.command-host.tokens-file is not set")]
    public void Binding_outside_loopback_needs_tokens_and_tls(string hostname, bool tokens, bool tls, string missing)
    {
        using var certificate = tls ? TestCertificates.SelfSigned() : null;
        var settings = Settings(hostname, tokens ? OperatorTokens.Parse($"admin {OperatorTokens.Hash("t")}", "t") : OperatorTokens.None, certificate);

        var refused = Assert.Throws<CommandHostConfigurationException>(settings.Validate);

        Assert.Equal($"the command host cannot bind {hostname}: outside loopback it must require operator tokens over TLS, and {missing}. " +
                     "Set them, or bind 127.0.0.1 and reach it through an SSH tunnel (ssh -L 9110:127.0.0.1:9110 node).", refused.Message);
    }

    [Fact]
    public void Binding_outside_loopback_with_tokens_and_tls_is_allowed()
    {
        using var certificate = TestCertificates.SelfSigned();

        Settings("0.0.0.0", OperatorTokens.Parse($"admin {OperatorTokens.Hash("t")}", "t"), certificate).Validate();
    }

    [Fact]
    public void A_throttle_that_cannot_work_is_refused()
    {
        var settings = Settings("127.0.0.1", OperatorTokens.None) with { Throttle = Throttle with { MaxDelay = TimeSpan.FromMilliseconds(10) } };

        Assert.Equal("fleet.command-host.token-throttle.max-delay must be at least base-delay",
            Assert.Throws<CommandHostConfigurationException>(settings.Validate).Message);
    }

    [Fact]
    public void Tls_files_are_checked_when_loaded()
    {
        var missing = Assert.Throws<CommandHostConfigurationException>(() => CommandHostSettings.LoadCertificate("/nonexistent/c.pem", "/nonexistent/k.pem"));

        Assert.Equal("command host TLS file /nonexistent/c.pem does not exist", missing.Message);
    }

    [Fact]
    public void Loopback_binds_and_a_host_name_is_refused()
    {
        new CommandHostSettings("::1", 0, OperatorTokens.None, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), Throttle).Validate();

        var named = Assert.Throws<CommandHostConfigurationException>(
            new CommandHostSettings("localhost", 9110, OperatorTokens.None, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), Throttle).Validate);

        Assert.Equal("fleet.command-host.hostname \"localhost\" is not an IP address", named.Message);
    }

    [Fact]
    public void Settings_come_from_hocon_and_a_missing_tokens_file_is_refused()
    {
        // The node's shipped hocon/command-host.conf holds the defaults; tests override keys on top of it, as an operator would.
        var shipped = Akka.Configuration.ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "command-host.conf")));
        var hocon = Akka.Configuration.ConfigurationFactory.ParseString("fleet.command-host { offline-after = 2h, tokens-file = \"missing-tokens\" }").WithFallback(shipped);
        var defaults = CommandHostSettings.From(Akka.Configuration.ConfigurationFactory.ParseString("fleet.command-host.offline-after = 2h").WithFallback(shipped), 9110, "/nonexistent");

        var refused = Assert.Throws<CommandHostConfigurationException>(() => CommandHostSettings.From(hocon, 9110, "/nonexistent"));
        var missing = Assert.Throws<SettingsException>(() => CommandHostSettings.From(Akka.Configuration.ConfigurationFactory.ParseString("fleet.command-host.offline-after = 2h"), 9110, "/nonexistent"));

        Assert.Equal(("127.0.0.1", 9110, TimeSpan.FromHours(2), false), (defaults.Hostname, defaults.Port, defaults.OfflineAfter, defaults.Tokens.Required));
        Assert.Equal(new TokenThrottleSettings(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), 10_000, TimeSpan.FromHours(1)), defaults.Throttle);
        Assert.Equal("operator tokens file /nonexistent/missing-tokens does not exist", refused.Message);
        Assert.StartsWith("fleet.command-host.tokens-file is missing", missing.Message);
    }
}

/// <summary>A throwaway certificate with its key, for settings checks.</summary>
internal static class TestCertificates
{
    public static System.Security.Cryptography.X509Certificates.X509Certificate2 SelfSigned()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=test", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
    }
}
