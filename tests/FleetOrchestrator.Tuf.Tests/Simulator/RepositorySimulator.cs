using System.Net;
using System.Security.Cryptography;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Tests.Simulator;

/// <summary>
/// A TUF repository for client tests: metadata built with the library's model and signers, served over
/// loopback HTTP in the standard consistent-snapshot layout (<c>/metadata/N.root.json</c>, <c>timestamp.json</c>,
/// <c>V.snapshot.json</c>, <c>V.&lt;role&gt;.json</c>, <c>/targets/&lt;sha256&gt;.&lt;name&gt;</c>).
/// Tests change the metadata objects, publish them (sign + serve), and tamper with what is served.
/// Every published file stays served, like a real consistent-snapshot repository.
/// </summary>
public sealed class RepositorySimulator : IAsyncDisposable
{
    public const string MetadataPrefix = "/metadata/";
    public const string TargetsPrefix = "/targets/";

    private readonly Dictionary<string, byte[]> _served = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServedResponse> _overrides = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly LoopbackHttpServer _server;

    public RepositorySimulator()
    {
        var expires = DefaultExpires;
        foreach (var role in Role.TopLevel)
            Signers[role] = [KeyPair.Generate()];
        Root = new RootMetadata
        {
            Version = 1, Expires = expires, ConsistentSnapshot = true,
            Keys = Signers.Values.SelectMany(s => s).ToDictionary(s => s.KeyId, s => s.PublicKey),
            Roles = Signers.ToDictionary(p => p.Key, p => new RoleKeys([.. p.Value.Select(s => s.KeyId)], 1)),
        };
        Targets[Role.Targets] = new TargetsMetadata { Version = 1, Expires = expires, Targets = new Dictionary<string, TargetFile>() };
        Snapshot = new SnapshotMetadata { Version = 1, Expires = expires, Meta = new Dictionary<string, MetaFile>() };
        Timestamp = new TimestampMetadata { Version = 1, Expires = expires, SnapshotMeta = new MetaFile(1) };
        PublishRoot();
        PublishTargets(Role.Targets);
        PublishSnapshot();
        PublishTimestamp();
        _server = new LoopbackHttpServer(Respond);
    }

    public static DateTimeOffset DefaultExpires => DateTimeOffset.UtcNow.AddDays(7).Date;

    public Uri MetadataUrl => new(_server.BaseUrl, MetadataPrefix);
    public Uri TargetsUrl => new(_server.BaseUrl, TargetsPrefix);

    /// <summary>The signers each role's metadata is signed with when published (not necessarily the keys root trusts).</summary>
    public Dictionary<string, List<ISigner>> Signers { get; } = new(StringComparer.Ordinal);

    public RootMetadata Root { get; set; }
    public TimestampMetadata Timestamp { get; set; }
    public SnapshotMetadata Snapshot { get; set; }

    /// <summary>Top-level ("targets") and delegated targets metadata by role name.</summary>
    public Dictionary<string, TargetsMetadata> Targets { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether timestamp and snapshot list length and hashes of the files they name.</summary>
    public bool ListLengthAndHashes { get; set; } = true;

    /// <summary>Signers added to the next published root besides the root role's own (the previous root's keys on rotation).</summary>
    public List<ISigner> ExtraRootSigners { get; } = [];

    /// <summary>Every root version published, by version (1-based).</summary>
    public List<byte[]> PublishedRoots { get; } = [];

    /// <summary>Every request path in arrival order, URL-encoded as sent.</summary>
    public IReadOnlyList<string> Requests => _server.Requests;

    /// <summary>The metadata file names requested (prefix stripped), in order.</summary>
    public IReadOnlyList<string> MetadataRequests =>
        [.. _server.Requests.Where(p => p.StartsWith(MetadataPrefix, StringComparison.Ordinal)).Select(p => p[MetadataPrefix.Length..])];

    public void ClearRequests() => _server.ClearRequests();

    // ---------------------------------------------------------------- keys and roles

    /// <summary>Makes root trust <paramref name="keys"/> (threshold <paramref name="threshold"/>) for a top-level role and signs it with them.</summary>
    public void SetRoleKeys(string role, int threshold, params ISigner[] keys)
    {
        Signers[role] = [.. keys];
        var roles = new Dictionary<string, RoleKeys>(Root.Roles) { [role] = new RoleKeys([.. keys.Select(k => k.KeyId)], threshold) };
        var used = roles.Values.SelectMany(r => r.KeyIds).ToHashSet();
        var keyMap = Root.Keys.Concat(keys.Select(k => KeyValuePair.Create(k.KeyId, k.PublicKey)))
            .Where(p => used.Contains(p.Key)).DistinctBy(p => p.Key).ToDictionary();
        Root = Root with { Roles = roles, Keys = keyMap };
    }

    /// <summary>Adds a delegation from <paramref name="delegator"/> to a new, empty role signed by <paramref name="keys"/>.</summary>
    public void Delegate(string delegator, string role, bool terminating, string[] paths, int threshold = 1, ISigner[]? keys = null)
    {
        keys ??= [KeyPair.Generate()];
        Signers[role] = [.. keys];
        var parent = Targets[delegator];
        var existing = parent.Delegations ?? new Delegations(new Dictionary<string, Key>(), []);
        var delegatedKeys = existing.Keys.Concat(keys.Select(k => KeyValuePair.Create(k.KeyId, k.PublicKey))).DistinctBy(p => p.Key).ToDictionary();
        var delegated = new DelegatedRole(role, [.. keys.Select(k => k.KeyId)], threshold, terminating, paths, null);
        Targets[delegator] = parent with { Delegations = new Delegations(delegatedKeys, [.. existing.Roles, delegated]) };
        Targets[role] = new TargetsMetadata { Version = 1, Expires = DefaultExpires, Targets = new Dictionary<string, TargetFile>() };
    }

    /// <summary>Lists a target in <paramref name="role"/> and serves its content at <c>/targets/&lt;sha256&gt;.&lt;name&gt;</c>.</summary>
    public TargetFile AddTarget(string path, byte[] content, string role = Role.Targets)
    {
        var file = new TargetFile(content.Length, Hashes.Compute(content));
        var metadata = Targets[role];
        Targets[role] = metadata with { Targets = new Dictionary<string, TargetFile>(metadata.Targets) { [path] = file } };
        // Served at the URL-encoded path a client requests: each segment encoded, the last one hash-prefixed.
        var segments = path.Split('/');
        segments[^1] = file.Hashes[Hashes.Sha256] + "." + segments[^1];
        Serve(TargetsPrefix + string.Join('/', segments.Select(Uri.EscapeDataString)), content);
        Serve(TargetsPrefix + string.Join('/', path.Split('/').Select(Uri.EscapeDataString)), content); // without consistent snapshots
        return file;
    }

    // ---------------------------------------------------------------- publishing

    /// <summary>Signs the current root (root signers + <see cref="ExtraRootSigners"/>) and serves it as <c>N.root.json</c>.</summary>
    public byte[] PublishRoot()
    {
        var raw = SignedMetadata<RootMetadata>.Sign(Root, Signers[Role.Root].Concat(ExtraRootSigners).DistinctBy(s => s.KeyId)).Raw;
        while (PublishedRoots.Count < Root.Version) PublishedRoots.Add([]);
        PublishedRoots[Root.Version - 1] = raw;
        Serve($"{MetadataPrefix}{Root.Version}.root.json", raw);
        return raw;
    }

    /// <summary>Root version + 1 with the current keys, signed by the root signers plus <paramref name="previousSigners"/>.</summary>
    public byte[] RotateRoot(IEnumerable<ISigner> previousSigners)
    {
        ExtraRootSigners.Clear();
        ExtraRootSigners.AddRange(previousSigners);
        Root = Root with { Version = Root.Version + 1 };
        var raw = PublishRoot();
        ExtraRootSigners.Clear();
        return raw;
    }

    public byte[] PublishTargets(string role)
    {
        var raw = SignedMetadata<TargetsMetadata>.Sign(Targets[role], Signers[role]).Raw;
        Serve($"{MetadataPrefix}{Targets[role].Version}.{Uri.EscapeDataString(role)}.json", raw);
        Serve($"{MetadataPrefix}{Uri.EscapeDataString(role)}.json", raw); // the current version, without consistent snapshots
        return raw;
    }

    /// <summary>Lists every targets role at its current version (with length and hashes of its served file), signs, serves.</summary>
    public byte[] PublishSnapshot()
    {
        var meta = Targets.ToDictionary(p => p.Key + ".json", p => MetaOf(
            $"{MetadataPrefix}{p.Value.Version}.{Uri.EscapeDataString(p.Key)}.json", p.Value.Version));
        Snapshot = Snapshot with { Meta = meta };
        var raw = SignedMetadata<SnapshotMetadata>.Sign(Snapshot, Signers[Role.Snapshot]).Raw;
        Serve($"{MetadataPrefix}{Snapshot.Version}.snapshot.json", raw);
        Serve($"{MetadataPrefix}snapshot.json", raw);
        return raw;
    }

    public byte[] PublishTimestamp()
    {
        Timestamp = Timestamp with { SnapshotMeta = MetaOf($"{MetadataPrefix}{Snapshot.Version}.snapshot.json", Snapshot.Version) };
        var raw = SignedMetadata<TimestampMetadata>.Sign(Timestamp, Signers[Role.Timestamp]).Raw;
        Serve(MetadataPrefix + "timestamp.json", raw);
        return raw;
    }

    /// <summary>A new release: the given targets roles (default top-level), snapshot and timestamp each one version up, published in order.</summary>
    public void Release(params string[] targetsRoles)
    {
        foreach (var role in targetsRoles.Length == 0 ? [Role.Targets] : targetsRoles)
        {
            Targets[role] = Targets[role] with { Version = Targets[role].Version + 1 };
            PublishTargets(role);
        }
        Snapshot = Snapshot with { Version = Snapshot.Version + 1 };
        PublishSnapshot();
        Timestamp = Timestamp with { Version = Timestamp.Version + 1 };
        PublishTimestamp();
    }

    private MetaFile MetaOf(string servedPath, int version)
    {
        if (!ListLengthAndHashes) return new MetaFile(version);
        var raw = Served(servedPath);
        return new MetaFile(version, raw.Length, new Dictionary<string, string> { [Hashes.Sha256] = Convert.ToHexStringLower(SHA256.HashData(raw)) });
    }

    // ---------------------------------------------------------------- serving and tampering

    /// <summary>The bytes published at a server path (e.g. "/metadata/timestamp.json").</summary>
    public byte[] Served(string path)
    {
        lock (_lock) return _served[path];
    }

    /// <summary>Publishes <paramref name="bytes"/> at a server path, replacing what was there.</summary>
    public void Serve(string path, byte[] bytes)
    {
        lock (_lock) _served[path] = bytes;
    }

    public void ServeMetadata(string fileName, byte[] bytes) => Serve(MetadataPrefix + fileName, bytes);

    /// <summary>Answers a server path with <paramref name="response"/> instead of its published bytes.</summary>
    public void Override(string path, ServedResponse response)
    {
        lock (_lock) _overrides[path] = response;
    }

    public void OverrideMetadata(string fileName, ServedResponse response) => Override(MetadataPrefix + fileName, response);

    private ServedResponse Respond(string path)
    {
        lock (_lock)
        {
            if (_overrides.TryGetValue(path, out var overridden)) return overridden;
            return _served.TryGetValue(path, out var bytes) ? new ServedResponse.Body(bytes) : new ServedResponse.Status(HttpStatusCode.NotFound);
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
