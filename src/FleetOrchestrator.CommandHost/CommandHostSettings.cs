using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Infrastructure.Hosting;
using FleetOrchestrator.Protocol;
using AkkaConfig = Akka.Configuration.Config;

namespace FleetOrchestrator.CommandHost;

/// <summary>Where the command host listens and who may use it.</summary>
/// <param name="Port">TCP port; 0 picks a free one (tests read it from <see cref="CommandHostEndpoint"/>).</param>
/// <param name="Tokens">Operator tokens; empty = every (loopback) connection is admin.</param>
/// <param name="OfflineAfter">A device not seen for longer is listed by <c>devices list --offline</c>.</param>
/// <param name="Certificate">Server certificate with its key: sessions are TLS from the first byte; null = plain TCP (loopback only).</param>
/// <param name="AskTimeout">How long a command waits for an actor's answer; also how long an audited command waits for the audit journal.</param>
/// <param name="Throttle">Back-off of failed operator tokens per source address.</param>
public sealed record CommandHostSettings(
    string Hostname,
    int Port,
    OperatorTokens Tokens,
    TimeSpan AskTimeout,
    TimeSpan PublishTimeout,
    TimeSpan OfflineAfter,
    TokenThrottleSettings Throttle,
    int MaxSessions = 32,
    X509Certificate2? Certificate = null)
{
    /// <summary>How long a connection may take to say hello.</summary>
    public static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The <c>fleet.command-host</c> section of the node's HOCON (every key required: defaults live in hocon/command-host.conf) and the port from the node options; the tokens
    /// file (if named) is read relative to the data directory.
    /// </summary>
    public static CommandHostSettings From(AkkaConfig hocon, int port, string dataDirectory)
    {
        var tokensFile = hocon.RequiredString("fleet.command-host.tokens-file");
        var tokens = tokensFile.Length == 0 ? OperatorTokens.None : OperatorTokens.Load(Path.Combine(dataDirectory, tokensFile));
        var certificateFile = hocon.RequiredString("fleet.command-host.tls.certificate");
        var certificate = certificateFile.Length == 0 ? null
            : LoadCertificate(Path.Combine(dataDirectory, certificateFile), Path.Combine(dataDirectory, hocon.RequiredString("fleet.command-host.tls.key")));
        var settings = new CommandHostSettings(hocon.RequiredString("fleet.command-host.hostname"), port, tokens,
            hocon.RequiredDuration("fleet.command-host.ask-timeout"),
            hocon.RequiredDuration("fleet.command-host.publish-timeout"),
            hocon.RequiredDuration("fleet.command-host.offline-after"),
            new TokenThrottleSettings(hocon.RequiredDuration("fleet.command-host.token-throttle.base-delay"),
                hocon.RequiredDuration("fleet.command-host.token-throttle.max-delay"),
                hocon.RequiredInt("fleet.command-host.token-throttle.max-addresses"),
                hocon.RequiredDuration("fleet.command-host.token-throttle.forget-after")),
            hocon.RequiredInt("fleet.command-host.max-sessions"), certificate);
        settings.Validate();
        return settings;
    }

    /// <summary>Refuses a binding that would expose operator commands: anything but loopback needs operator tokens and TLS.</summary>
    public void Validate()
    {
        if (!IPAddress.TryParse(Hostname, out var address))
            throw new CommandHostConfigurationException($"fleet.command-host.hostname \"{Hostname}\" is not an IP address");
        if (!IPAddress.IsLoopback(address) && (!Tokens.Required || Certificate is null))
            throw new CommandHostConfigurationException(
                $"the command host cannot bind {Hostname}: outside loopback it must require operator tokens over TLS, and " +
                (Tokens.Required ? "" : "fleet.command-host.tokens-file is not set") + (Tokens.Required || Certificate is not null ? "" : " and ") +
                (Certificate is not null ? "" : "fleet.command-host.tls.certificate is not set") +
                ". Set them, or bind 127.0.0.1 and reach it through an SSH tunnel (ssh -L 9110:127.0.0.1:9110 node).");
        if (Port is < 0 or > 65535) throw new CommandHostConfigurationException($"command host port {Port} is not a TCP port");
        if (MaxSessions < 1) throw new CommandHostConfigurationException("fleet.command-host.max-sessions must be at least 1");
        if (Throttle.Problem is { } throttle) throw new CommandHostConfigurationException(throttle);
        if (Certificate is { HasPrivateKey: false })
            throw new CommandHostConfigurationException("the command host's TLS certificate has no private key");
    }

    /// <summary>A PEM certificate and its PEM private key (<c>fleet.command-host.tls.certificate</c> and <c>.key</c>).</summary>
    public static X509Certificate2 LoadCertificate(string certificateFile, string keyFile)
    {
        foreach (var file in new[] { certificateFile, keyFile })
            if (!File.Exists(file)) throw new CommandHostConfigurationException($"command host TLS file {file} does not exist");
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            // Exported and loaded again: on Linux an ephemeral PEM key works for SslStream only this way.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException e)
        {
            throw new CommandHostConfigurationException($"command host TLS certificate {certificateFile} with key {keyFile} cannot be loaded: {e.Message}");
        }
    }
}

public sealed class CommandHostConfigurationException(string message) : Exception(message);

/// <summary>Who a session is: the operator token's name and role (<see cref="Loopback"/> when the host has no tokens file).</summary>
public sealed record OperatorIdentity(string Name, OperatorRole Role)
{
    public static OperatorIdentity Loopback { get; } = new("loopback", OperatorRole.Admin);
}

/// <summary>
/// Operator tokens by the SHA-256 of their text (the file never holds a usable token). File format, one per
/// line: <c>&lt;role&gt; sha256:&lt;64 hex&gt; [&lt;name&gt;]</c>, roles viewer / operator / admin, <c>#</c> comments. The name
/// (unique, <see cref="Names.Operator"/>) is who the audit journal says acted; without one it is <c>token-</c> and the
/// first 8 hex digits of the hash.
/// </summary>
public sealed class OperatorTokens
{
    private readonly Dictionary<string, OperatorIdentity> _byHash;

    private OperatorTokens(Dictionary<string, OperatorIdentity> byHash) => _byHash = byHash;

    public static OperatorTokens None { get; } = new([]);

    /// <summary>True when connections must present a token.</summary>
    public bool Required => _byHash.Count > 0;

    public static string Hash(string token) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Who presents <paramref name="token"/>, or null when it is not one of these tokens.</summary>
    public OperatorIdentity? Identify(string? token) =>
        token is not null && _byHash.TryGetValue(Hash(token), out var identity) ? identity : null;

    /// <summary>The name of a token listed without one.</summary>
    public static string DefaultName(string hash) => "token-" + hash["sha256:".Length..][..8];

    public static OperatorTokens Parse(string text, string source)
    {
        var byHash = new Dictionary<string, OperatorIdentity>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length is not (2 or 3))
                throw new CommandHostConfigurationException($"{source}:{lineNumber}: expected \"<role> sha256:<hex> [<name>]\", got {parts.Length} fields");
            if (!Enum.TryParse<OperatorRole>(parts[0], ignoreCase: true, out var role) || !Enum.IsDefined(role) || int.TryParse(parts[0], out _))
                throw new CommandHostConfigurationException($"{source}:{lineNumber}: unknown role \"{parts[0]}\"; roles: viewer, operator, admin");
            var hash = parts[1].ToLowerInvariant();
            if (!hash.StartsWith("sha256:", StringComparison.Ordinal) || hash.Length != 71 || !hash[7..].All(Uri.IsHexDigit))
                throw new CommandHostConfigurationException($"{source}:{lineNumber}: the token must be given as sha256:<64 hex digits> of its text");
            var name = parts.Length == 3 ? parts[2] : DefaultName(hash);
            if (Names.Operator.Problem(name) is { } problem) throw new CommandHostConfigurationException($"{source}:{lineNumber}: {problem}");
            if (byHash.ContainsKey(hash))
                throw new CommandHostConfigurationException($"{source}:{lineNumber}: the same token is listed twice");
            if (!names.Add(name))
                throw new CommandHostConfigurationException($"{source}:{lineNumber}: the name {name} is given to another token; each token needs its own");
            byHash[hash] = new OperatorIdentity(name, role);
        }
        return new OperatorTokens(byHash);
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
