using System.Net;
using System.Security.Cryptography;
using System.Text;
using FleetOrchestrator.CommandProtocol;
using AkkaConfig = Akka.Configuration.Config;

namespace FleetOrchestrator.CommandHost;

/// <summary>Where the command host listens and who may use it.</summary>
/// <param name="Port">TCP port; 0 picks a free one (tests read it from <see cref="CommandHostEndpoint"/>).</param>
/// <param name="Tokens">Operator tokens; empty = every (loopback) connection is admin.</param>
/// <param name="OfflineAfter">A device not seen for longer is listed by <c>devices list --offline</c>.</param>
public sealed record CommandHostSettings(
    string Hostname,
    int Port,
    OperatorTokens Tokens,
    TimeSpan AskTimeout,
    TimeSpan PublishTimeout,
    TimeSpan OfflineAfter,
    int MaxSessions = 32)
{
    /// <summary>How long a connection may take to say hello.</summary>
    public static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The <c>fleet.command-host</c> section of the node's HOCON and the port from the node options; the tokens
    /// file (if named) is read relative to the data directory.
    /// </summary>
    public static CommandHostSettings From(AkkaConfig hocon, int port, string dataDirectory)
    {
        var tokensFile = hocon.GetString("fleet.command-host.tokens-file", "");
        var tokens = tokensFile.Length == 0 ? OperatorTokens.None : OperatorTokens.Load(Path.Combine(dataDirectory, tokensFile));
        var settings = new CommandHostSettings(hocon.GetString("fleet.command-host.hostname", "127.0.0.1"), port, tokens,
            hocon.GetTimeSpan("fleet.command-host.ask-timeout", TimeSpan.FromSeconds(10)),
            hocon.GetTimeSpan("fleet.command-host.publish-timeout", TimeSpan.FromMinutes(30)),
            hocon.GetTimeSpan("fleet.command-host.offline-after", TimeSpan.FromHours(1)),
            hocon.GetInt("fleet.command-host.max-sessions", 32));
        settings.Validate();
        return settings;
    }

    /// <summary>Refuses a binding that would expose operator commands: anything but loopback needs tokens and TLS, and TLS is not implemented yet.</summary>
    public void Validate()
    {
        if (!IPAddress.TryParse(Hostname, out var address))
            throw new CommandHostConfigurationException($"fleet.command-host.hostname \"{Hostname}\" is not an IP address");
        if (!IPAddress.IsLoopback(address))
            throw new CommandHostConfigurationException(
                $"the command host cannot bind {Hostname}: outside loopback it must require operator tokens over TLS, and TLS is not implemented yet. " +
                "Bind 127.0.0.1 and reach it through an SSH tunnel (ssh -L 9110:127.0.0.1:9110 node).");
        if (Port is < 0 or > 65535) throw new CommandHostConfigurationException($"command host port {Port} is not a TCP port");
        if (MaxSessions < 1) throw new CommandHostConfigurationException("fleet.command-host.max-sessions must be at least 1");
    }
}

public sealed class CommandHostConfigurationException(string message) : Exception(message);

/// <summary>
/// Operator tokens by the SHA-256 of their text (the file never holds a usable token). File format, one per
/// line: <c>&lt;role&gt; sha256:&lt;64 hex&gt;</c>, roles viewer / operator / admin, <c>#</c> comments.
/// </summary>
public sealed class OperatorTokens
{
    private readonly Dictionary<string, OperatorRole> _roleByHash;

    private OperatorTokens(Dictionary<string, OperatorRole> roleByHash) => _roleByHash = roleByHash;

    public static OperatorTokens None { get; } = new([]);

    /// <summary>True when connections must present a token.</summary>
    public bool Required => _roleByHash.Count > 0;

    public static string Hash(string token) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>The role of <paramref name="token"/>, or null when it is not one of these tokens.</summary>
    public OperatorRole? RoleOf(string? token) =>
        token is not null && _roleByHash.TryGetValue(Hash(token), out var role) ? role : null;

    public static OperatorTokens Parse(string text, string source)
    {
        var roleByHash = new Dictionary<string, OperatorRole>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new CommandHostConfigurationException($"{source}:{lineNumber}: expected \"<role> sha256:<hex>\", got {parts.Length} fields");
            if (!Enum.TryParse<OperatorRole>(parts[0], ignoreCase: true, out var role) || !Enum.IsDefined(role) || int.TryParse(parts[0], out _))
                throw new CommandHostConfigurationException($"{source}:{lineNumber}: unknown role \"{parts[0]}\"; roles: viewer, operator, admin");
            var hash = parts[1].ToLowerInvariant();
            if (!hash.StartsWith("sha256:", StringComparison.Ordinal) || hash.Length != 71 || !hash[7..].All(Uri.IsHexDigit))
                throw new CommandHostConfigurationException($"{source}:{lineNumber}: the token must be given as sha256:<64 hex digits> of its text");
            if (!roleByHash.TryAdd(hash, role))
                throw new CommandHostConfigurationException($"{source}:{lineNumber}: the same token is listed twice");
        }
        return new OperatorTokens(roleByHash);
    }

    public static OperatorTokens Load(string path)
    {
        if (!File.Exists(path)) throw new CommandHostConfigurationException($"operator tokens file {path} does not exist");
        var info = new FileInfo(path);
        if (info.Length > 1024 * 1024) throw new CommandHostConfigurationException($"operator tokens file {path} is over 1 MiB");
        return Parse(File.ReadAllText(path), path);
    }
}

/// <summary>Where the command host listens once started (the bound port when 0 was asked for).</summary>
public sealed class CommandHostEndpoint
{
    private readonly TaskCompletionSource<IPEndPoint> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<IPEndPoint> Bound => _bound.Task;

    internal void SetBound(IPEndPoint endpoint) => _bound.TrySetResult(endpoint);
}
