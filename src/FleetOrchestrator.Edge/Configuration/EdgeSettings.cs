using Akka.Configuration;
using FleetOrchestrator.Protocol;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Edge.Configuration;

/// <summary>A setting in edge.conf is missing or out of range; the message names the key and the value seen.</summary>
public sealed class EdgeSettingsException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Which apps of a target the device runs (aktualizr-lite's <c>compose_apps</c>).</summary>
/// <param name="Names">null = every app of the target; empty = none; else these names.</param>
public sealed record AppSelection(IReadOnlyList<string>? Names)
{
    public static AppSelection All { get; } = new((IReadOnlyList<string>?)null);
    public static AppSelection None { get; } = new([]);

    public override string ToString() => Names is null ? "all" : Names.Count == 0 ? "none" : "[" + string.Join(", ", Names) + "]";
}

/// <summary>
/// The agent's settings, bound from HOCON <c>edge.conf</c> (path <c>fleet.edge</c>) over <see cref="Defaults"/>.
/// Relative folders are resolved against the data directory, so several agents can run side by side.
/// </summary>
public sealed record EdgeSettings
{
    public const string ConfigFileName = "edge.conf";

    /// <summary>Every setting with its default: the reference documented in docs/edge-agent.md.</summary>
    public const string Defaults = """
        fleet.edge {
          # Written by `fleet-edge register`: where the gateway is and what this device is.
          gateway = ""
          device-name = ""
          hardware-id = ""
          tag = ""
          group = ""

          # How often the agent checks for a new target, plus a random delay of up to poll-jitter.
          poll-interval = 300s
          poll-jitter = 30s

          # Apps of the target to run: all | none | [app, ...]
          apps = all

          # Folders, relative to --data-dir unless absolute.
          apps-root = compose-apps
          store-root = store

          fetch {
            # Attempts per app and cycle on transient failures (registry unreachable, 5xx, disk), with an exponential
            # back-off from min-backoff (capped at 30s); then the app waits for the next cycle. Never marks a target bad.
            attempts = 3
            min-backoff = 2s
          }

          # The store's file system may be filled up to this share (bundle x 3 must fit under it).
          storage-watermark = 0.8

          health {
            # The new apps must stay running and healthy this long before an update is confirmed.
            confirmation-window = 60s
            # Roll back when they are not running and healthy this long after `up`.
            start-timeout = 300s
            check-interval = 2s
          }

          # Install a target with a lower version than the current one.
          downgrade-allowed = false

          # auto = `docker compose` when present, else `docker-compose`; or a command line.
          compose-command = auto

          registry {
            # Speak plain HTTP to the registry instead of HTTPS (a local registry, tests).
            plain-http = false
            # Registry domain = mirror host:port, e.g. "docker.io" = "registry.factory:5000".
            mirrors {}
          }

          outbox {
            # Events and app states sent per request, and how soon an undelivered batch is retried.
            batch-size = 100
            retry-interval = 30s
          }
        }
        """;

    public required string DataDirectory { get; init; }
    public required Uri Gateway { get; init; }
    public required string DeviceName { get; init; }
    public required string HardwareId { get; init; }
    public required string Tag { get; init; }
    public string Group { get; init; } = "";
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(300);
    public TimeSpan PollJitter { get; init; } = TimeSpan.FromSeconds(30);
    public AppSelection Apps { get; init; } = AppSelection.All;

    /// <summary>The tag and apps to follow: the config an operator set (served by the gateway's <c>/config</c>), else these settings'.</summary>
    public DeviceConfig Follow(DeviceConfig? operatorConfig) => operatorConfig ?? new DeviceConfig(Tag, Apps.Names);
    public required string AppsRoot { get; init; }
    public required string StoreRoot { get; init; }
    public double StorageWatermark { get; init; } = 0.8;
    public int FetchAttempts { get; init; } = 3;
    public TimeSpan FetchMinBackoff { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan ConfirmationWindow { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(300);
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(2);
    public bool DowngradeAllowed { get; init; }
    /// <summary>null = detect (<c>docker compose</c>, else <c>docker-compose</c>).</summary>
    public string? ComposeCommand { get; init; }
    public bool RegistryPlainHttp { get; init; }
    public IReadOnlyDictionary<string, string> Mirrors { get; init; } = new Dictionary<string, string>();
    public int OutboxBatchSize { get; init; } = 100;
    public TimeSpan OutboxRetryInterval { get; init; } = TimeSpan.FromSeconds(30);

    public DeviceFiles Files => new(DataDirectory);

    /// <summary>Trusted TUF metadata of this device.</summary>
    public string TufDirectory => Path.Combine(DataDirectory, "tuf");

    /// <summary>The agent's journal and snapshots (SQLite).</summary>
    public string JournalFile => Path.Combine(DataDirectory, "agent.db");

    /// <summary>Loads <paramref name="configFile"/> (default <c>&lt;data-dir&gt;/edge.conf</c>) over the defaults.</summary>
    public static EdgeSettings Load(string dataDirectory, string? configFile = null)
    {
        var path = configFile ?? Path.Combine(dataDirectory, ConfigFileName);
        if (!File.Exists(path))
            throw new EdgeSettingsException($"no settings at {path}: register the device first (fleet-edge register --data-dir {dataDirectory} ...) or pass --config");
        var info = new FileInfo(path);
        if (info.Length > 256 * 1024) throw new EdgeSettingsException($"{path} is {info.Length} bytes; settings files are at most 256 KiB");
        return Parse(File.ReadAllText(path), dataDirectory, path);
    }

    /// <summary>Binds HOCON text (over <see cref="Defaults"/>) and validates every value.</summary>
    public static EdgeSettings Parse(string hocon, string dataDirectory, string source = ConfigFileName)
    {
        Config config;
        try
        {
            config = ConfigurationFactory.ParseString(hocon).WithFallback(ConfigurationFactory.ParseString(Defaults)).GetConfig("fleet.edge");
        }
        catch (Exception e) when (e is not EdgeSettingsException)
        {
            throw new EdgeSettingsException($"{source} is not valid HOCON: {e.Message}", e);
        }
        return new Binder(config, Path.GetFullPath(dataDirectory), source).Bind();
    }

    /// <summary>Reads each key with a message that names it, so a bad value is reported as fleet.edge.key = value.</summary>
    private sealed class Binder(Config config, string dataDirectory, string source)
    {
        public EdgeSettings Bind()
        {
            var gatewayText = Text("gateway");
            if (!Uri.TryCreate(gatewayText, UriKind.Absolute, out var gateway) || gateway.Scheme != Uri.UriSchemeHttps)
                throw Invalid("gateway", gatewayText, "must be an absolute https:// URL (written by fleet-edge register)");
            var settings = new EdgeSettings
            {
                DataDirectory = dataDirectory,
                Gateway = gateway.AbsoluteUri.EndsWith('/') ? gateway : new Uri(gateway.AbsoluteUri + "/"),
                DeviceName = NonEmpty("device-name"),
                HardwareId = NonEmpty("hardware-id"),
                Tag = NonEmpty("tag"),
                Group = Text("group"),
                PollInterval = Duration("poll-interval", TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)),
                PollJitter = Duration("poll-jitter", TimeSpan.Zero, TimeSpan.FromDays(1)),
                Apps = Apps(),
                AppsRoot = Folder("apps-root"),
                StoreRoot = Folder("store-root"),
                StorageWatermark = Watermark(),
                FetchAttempts = Integer("fetch.attempts", 1, 100),
                FetchMinBackoff = Duration("fetch.min-backoff", TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1)),
                ConfirmationWindow = Duration("health.confirmation-window", TimeSpan.Zero, TimeSpan.FromDays(1)),
                StartTimeout = Duration("health.start-timeout", TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)),
                HealthCheckInterval = Duration("health.check-interval", TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
                DowngradeAllowed = Boolean("downgrade-allowed"),
                ComposeCommand = Text("compose-command") is var command && command == "auto" ? null
                    : command.Length == 0 ? throw Invalid("compose-command", command, "must be auto or a command line") : command,
                RegistryPlainHttp = Boolean("registry.plain-http"),
                Mirrors = Mirrors(),
                OutboxBatchSize = Integer("outbox.batch-size", 1, 1000),
                OutboxRetryInterval = Duration("outbox.retry-interval", TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1)),
            };
            if (settings.AppsRoot == settings.StoreRoot)
                throw Invalid("apps-root", settings.AppsRoot, "must differ from store-root");
            return settings;
        }

        private EdgeSettingsException Invalid(string key, string value, string problem) =>
            new($"{source}: fleet.edge.{key} = \"{(value.Length > 200 ? value[..200] + "..." : value)}\" {problem}");

        private string Text(string key)
        {
            try { return config.GetString(key, "") ?? ""; }
            catch (Exception e) { throw new EdgeSettingsException($"{source}: fleet.edge.{key} must be a string: {e.Message}", e); }
        }

        private string NonEmpty(string key)
        {
            var value = Text(key);
            return value.Length > 0 ? value : throw Invalid(key, value, "must be set (written by fleet-edge register)");
        }

        private TimeSpan Duration(string key, TimeSpan min, TimeSpan max)
        {
            TimeSpan value;
            try { value = config.GetTimeSpan(key, null, allowInfinite: false); }
            catch (Exception e) { throw Invalid(key, Text(key), $"is not a duration such as 30s or 5m: {e.Message}"); }
            return value >= min && value <= max ? value : throw Invalid(key, Text(key), $"must be between {min} and {max}");
        }

        private int Integer(string key, int min, int max)
        {
            var text = Text(key);
            return int.TryParse(text, out var value) && value >= min && value <= max ? value : throw Invalid(key, text, $"must be an integer from {min} to {max}");
        }

        private bool Boolean(string key)
        {
            var text = Text(key);
            return text switch
            {
                "true" or "on" or "yes" => true,
                "false" or "off" or "no" => false,
                _ => throw Invalid(key, text, "must be true or false"),
            };
        }

        private double Watermark()
        {
            var text = Text("storage-watermark");
            return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) && value is > 0 and <= 1
                ? value
                : throw Invalid("storage-watermark", text, "must be a number in (0, 1], e.g. 0.8");
        }

        private string Folder(string key)
        {
            var text = NonEmpty(key);
            return Path.GetFullPath(Path.Combine(dataDirectory, text));
        }

        private AppSelection Apps()
        {
            var value = config.GetValue("apps");
            if (value is not null && value.IsArray())
            {
                var names = value.GetStringList().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
                foreach (var name in names)
                    if (Names.App.Problem(name) is { } invalid) throw Invalid("apps", name, invalid);
                return new AppSelection(names);
            }
            var text = Text("apps");
            return text switch
            {
                "all" => AppSelection.All,
                // Akka's HOCON reads an empty list as an empty value.
                "none" or "" => AppSelection.None,
                _ => throw Invalid("apps", text, "must be all, none or a list of app names such as [httpd, web]"),
            };
        }

        private IReadOnlyDictionary<string, string> Mirrors()
        {
            var mirrors = new Dictionary<string, string>(StringComparer.Ordinal);
            var section = config.GetConfig("registry.mirrors");
            if (section is null || section.IsEmpty) return mirrors;
            foreach (var (domain, value) in section.AsEnumerable())
            {
                var mirror = value.GetString();
                if (string.IsNullOrWhiteSpace(mirror) || mirror.Contains('/'))
                    throw Invalid($"registry.mirrors.\"{domain}\"", mirror ?? "", "must be a registry host[:port]");
                mirrors[domain.Trim('"')] = mirror;
            }
            return mirrors;
        }
    }
}
