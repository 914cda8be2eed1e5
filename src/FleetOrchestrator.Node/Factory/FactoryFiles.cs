using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using FleetOrchestrator.ControlPlane.Security;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.Node.Factory;

/// <summary>The settings <c>fleet-node init</c> fixes for a factory, stored as <c>factory.json</c>.</summary>
/// <param name="Mirrors">Registry domain → host:port that publishes resolve public images through (air-gapped factories).</param>
public sealed record FactorySettings(string Factory, string Registry, bool PlainHttp, IReadOnlyDictionary<string, string>? Mirrors = null);

/// <summary>
/// The files of a factory's data directory: <c>factory.json</c>, the TUF keys and root v1 under <c>tuf/</c>,
/// the device CA and the cluster CA under <c>ca/</c>, the first node's certificate under <c>node/</c>, the registration token,
/// and the SQLite journal. Secrets are created 0600.
/// </summary>
public sealed partial class FactoryFiles(string dataDirectory)
{
    public string DataDirectory { get; } = Path.GetFullPath(dataDirectory);
    public string SettingsFile => Path.Combine(DataDirectory, "factory.json");
    public string RegistrationTokenFile => Path.Combine(DataDirectory, "registration-token");
    /// <summary>The SHA-256 of the cluster's registration token once the node heard of one (a rotation makes <see cref="RegistrationTokenFile"/> stale).</summary>
    public string RegistrationTokenHashFile => Path.Combine(DataDirectory, "registration-token.sha256");
    public string KeysDirectory => Path.Combine(DataDirectory, "tuf", "keys");
    public string RootFile => Path.Combine(DataDirectory, "tuf", "1.root.json");
    public string CaCertificateFile => Path.Combine(DataDirectory, "ca", "device-ca.pem");
    public string CaKeyFile => Path.Combine(DataDirectory, "ca", "device-ca.key.pem");
    public string JournalFile => Path.Combine(DataDirectory, "journal.db");

    public string KeyFile(string role) => Path.Combine(KeysDirectory, role + ".pem");

    /// <summary>The node's online keys (<c>tuf/keys</c>).</summary>
    public OnlineKeyStore OnlineKeys => new(KeysDirectory);

    /// <summary>The roles whose key <c>init</c> may keep offline, in a file of the operator's choosing.</summary>
    public static readonly IReadOnlyList<string> OfflineRoles = [Role.Root, Role.Targets];

    /// <summary>
    /// Creates a new factory: every TUF key, root v1, the device CA and a registration token. A role named in
    /// <paramref name="offlineKeys"/> (root, targets) has its key written only to that file (0600), never into the
    /// data directory; the others are online in <c>tuf/keys</c> (embedded mode: all of them). Refuses a directory that
    /// already holds a factory, and an offline key file that exists. Also the cluster CA and the certificate of the first
    /// node, <paramref name="node"/>. Returns the token.
    /// </summary>
    public async Task<string> InitializeAsync(FactorySettings settings, IReadOnlyDictionary<string, string>? offlineKeys = null, string node = DefaultNode, CancellationToken cancellation = default)
    {
        Validate(settings);
        if (ClusterCa.NodeNameProblem(node) is { } badNode) throw new FactoryFilesException(badNode);
        offlineKeys ??= new Dictionary<string, string>();
        if (File.Exists(SettingsFile))
            throw new FactoryFilesException($"{DataDirectory} already holds a factory ({SettingsFile} exists); choose an empty data directory");
        if (offlineKeys.Keys.FirstOrDefault(r => !OfflineRoles.Contains(r)) is { } online)
            throw new FactoryFilesException($"the {online} key is always online; offline keys: {string.Join(", ", OfflineRoles)}");
        foreach (var (role, file) in offlineKeys)
        {
            if (File.Exists(file)) throw new FactoryFilesException($"offline {role} key file {file} already exists; name a new file");
            if (Path.GetFullPath(file).StartsWith(DataDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new FactoryFilesException($"offline {role} key file {file} is inside the data directory {DataDirectory}; keep it elsewhere");
        }
        Directory.CreateDirectory(KeysDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(CaKeyFile)!);

        var (repository, keys) = TufRepository.Create();
        foreach (var (role, pairs) in keys)
        {
            await pairs.Single().SaveAsync(offlineKeys.GetValueOrDefault(role) ?? KeyFile(role), cancellation: cancellation);
            foreach (var pair in pairs) pair.Dispose();
        }
        await File.WriteAllBytesAsync(RootFile, repository.Root.ToBytes(), cancellation);

        using var ca = DeviceCa.Create(settings.Factory);
        await WriteSecretAsync(CaKeyFile, ca.PrivateKeyPem, cancellation);
        await File.WriteAllTextAsync(CaCertificateFile, ca.CertificatePem, cancellation);
        await CreateClusterCaAsync(settings.Factory, cancellation);
        await WriteNodeCertificateAsync(node, NodeCertificateDirectory, cancellation);

        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        await WriteSecretAsync(RegistrationTokenFile, token + "\n", cancellation);
        // factory.json last: its presence marks a complete factory.
        await File.WriteAllBytesAsync(SettingsFile, JsonSerializer.SerializeToUtf8Bytes(settings, JsonOptions), cancellation);
        return token;
    }

    public async Task<FactorySettings> LoadSettingsAsync(CancellationToken cancellation = default)
    {
        if (!File.Exists(SettingsFile))
            throw new FactoryFilesException($"{DataDirectory} holds no factory ({SettingsFile} is missing); run 'fleet-node init' first");
        var settings = JsonSerializer.Deserialize<FactorySettings>(await ReadBoundedAsync(SettingsFile, cancellation), JsonOptions)
            ?? throw new FactoryFilesException($"{SettingsFile} is JSON null");
        Validate(settings);
        return settings;
    }

    /// <summary>Every key file under <c>tuf/keys</c> (embedded mode holds all four roles).</summary>
    public Task<IReadOnlyList<KeyPair>> LoadKeysAsync(CancellationToken cancellation = default) => OnlineKeys.LoadAsync(cancellation);

    public async Task<byte[]> LoadRootAsync(CancellationToken cancellation = default) => await ReadBoundedAsync(RootFile, cancellation);

    public async Task<DeviceCa> LoadCaAsync(CancellationToken cancellation = default) =>
        DeviceCa.Load(await File.ReadAllTextAsync(CaCertificateFile, cancellation), await File.ReadAllTextAsync(CaKeyFile, cancellation));

    public async Task<string> LoadRegistrationTokenAsync(CancellationToken cancellation = default) =>
        (await File.ReadAllTextAsync(RegistrationTokenFile, cancellation)).Trim();

    private static void Validate(FactorySettings settings)
    {
        if (!FactoryNamePattern().IsMatch(settings.Factory))
            throw new FactoryFilesException($"invalid factory name \"{settings.Factory}\": use 1-63 of a-z 0-9 - starting with a letter or digit");
        if (!RegistryPattern().IsMatch(settings.Registry))
            throw new FactoryFilesException($"invalid registry \"{settings.Registry}\": expected host:port, e.g. 127.0.0.1:5000");
        foreach (var (domain, mirror) in settings.Mirrors ?? new Dictionary<string, string>())
            if (!RegistryPattern().IsMatch(mirror) || domain.Length is 0 or > 253)
                throw new FactoryFilesException($"invalid mirror \"{domain}={mirror}\": expected <registry domain>=<host:port>");
    }

    private static async Task WriteSecretAsync(string path, string content, CancellationToken cancellation)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await using var file = new FileStream(path, options);
        await file.WriteAsync(System.Text.Encoding.ASCII.GetBytes(content), cancellation);
    }

    private static async Task<byte[]> ReadBoundedAsync(string path, CancellationToken cancellation)
    {
        const int maxBytes = 1024 * 1024;
        var length = new FileInfo(path).Length;
        return length <= maxBytes
            ? await File.ReadAllBytesAsync(path, cancellation)
            : throw new FactoryFilesException($"{path} is {length} bytes, over the {maxBytes}-byte limit");
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex FactoryNamePattern();

    [GeneratedRegex(@"^[A-Za-z0-9.-]{1,253}:[0-9]{1,5}$")]
    private static partial Regex RegistryPattern();
}

public sealed class FactoryFilesException(string message) : Exception(message);
