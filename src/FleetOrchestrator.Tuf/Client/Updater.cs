using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Client;

/// <summary>
/// The TUF client workflow of spec §5: <see cref="RefreshAsync"/> updates root, timestamp, snapshot and
/// top-level targets in that order with every check the spec lists; <see cref="GetTargetInfoAsync"/>
/// searches delegations; <see cref="DownloadTargetAsync"/> fetches and verifies a target file.
/// Each fetch is one HTTP GET bounded in size, never retried; nothing is fetched that the workflow does not need.
/// </summary>
public sealed class Updater
{
    private readonly UpdaterOptions _options;
    private readonly BoundedFetcher _fetcher;
    private readonly TrustedMetadataStore _store;
    private readonly Uri _metadataBaseUrl;
    private readonly Dictionary<string, SignedMetadata<TargetsMetadata>> _targets = new(StringComparer.Ordinal);
    /// <summary>The delegation paths each loaded role was verified through: a role reached through another delegator is verified again.</summary>
    private readonly HashSet<(string Role, string Delegator)> _vouched = [];
    private SignedMetadata<RootMetadata>? _root;
    private SignedMetadata<TimestampMetadata>? _timestamp;
    private SignedMetadata<SnapshotMetadata>? _snapshot;
    private DateTimeOffset _updateStart;

    public Updater(UpdaterOptions options, HttpClient http)
    {
        _options = options;
        _fetcher = new BoundedFetcher(http);
        _store = new TrustedMetadataStore(options.MetadataDir);
        _metadataBaseUrl = WithTrailingSlash(options.MetadataBaseUrl);
    }

    /// <summary>The trusted root after a refresh (or as loaded).</summary>
    public SignedMetadata<RootMetadata>? TrustedRoot => _root;
    public SignedMetadata<TimestampMetadata>? TrustedTimestamp => _timestamp;
    public SignedMetadata<SnapshotMetadata>? TrustedSnapshot => _snapshot;

    /// <summary>Trusted targets metadata of a role loaded so far (top-level after a refresh, delegated ones after a search).</summary>
    public SignedMetadata<TargetsMetadata>? TrustedTargets(string role) => _targets.GetValueOrDefault(role);

    /// <summary>Installs a root obtained out of band as <c>root.json</c> after checking it is a root signed by its own threshold.</summary>
    public static async Task InitializeAsync(string metadataDir, byte[] trustedRoot, CancellationToken cancellation = default)
    {
        var root = Parse<RootMetadata>(trustedRoot, Role.Root);
        VerifySignatures(Role.Root, root, root.Signed.RoleKeysOf(Role.Root), root.Signed.Keys, $"its own root keys (v{root.Signed.Version})");
        await new TrustedMetadataStore(metadataDir).WriteAsync(Role.Root, trustedRoot, cancellation);
    }

    /// <summary>Spec §5.1–5.6: root chain, timestamp, snapshot, top-level targets.</summary>
    public async Task RefreshAsync(CancellationToken cancellation = default)
    {
        _updateStart = _options.Clock.GetUtcNow();
        _targets.Clear();
        _vouched.Clear();
        _timestamp = null;
        _snapshot = null;
        await LoadTrustedRootAsync(cancellation);
        await UpdateRootAsync(cancellation);
        await UpdateTimestampAsync(cancellation);
        await UpdateSnapshotAsync(cancellation);
        var root = _root!.Signed;
        await LoadTargetsAsync(Role.Targets, Role.Root, root.RoleKeysOf(Role.Targets), root.Keys, cancellation);
    }

    // ---------------------------------------------------------------- root (§5.2, §5.3)

    private async Task LoadTrustedRootAsync(CancellationToken cancellation)
    {
        var raw = await _store.ReadAsync(Role.Root, _options.RootMaxBytes, cancellation)
            ?? throw new TufClientException(Role.Root, "trusted-root", $"no trusted root at {_store.PathOf(Role.Root)}: install one first (fleet-edge tuf init)");
        var root = Parse<RootMetadata>(raw, Role.Root);
        // Expiry is not checked here: an expired trusted root may still vouch for its successor.
        VerifySignatures(Role.Root, root, root.Signed.RoleKeysOf(Role.Root), root.Signed.Keys, $"its own root keys (v{root.Signed.Version})");
        _root = root;
    }

    private async Task UpdateRootAsync(CancellationToken cancellation)
    {
        var initial = _root!.Signed;
        for (var rotation = 0; rotation < _options.MaxRootRotations; rotation++)
        {
            var trusted = _root!;
            var next = trusted.Signed.Version + 1;
            var raw = await _fetcher.FetchIfPresentAsync(MetadataUrl($"{next}.root.json"), _options.RootMaxBytes, Role.Root, cancellation);
            if (raw is null) break;
            var candidate = Parse<RootMetadata>(raw, Role.Root);
            VerifySignatures(Role.Root, candidate, trusted.Signed.RoleKeysOf(Role.Root), trusted.Signed.Keys, $"the trusted root v{trusted.Signed.Version}");
            VerifySignatures(Role.Root, candidate, candidate.Signed.RoleKeysOf(Role.Root), candidate.Signed.Keys, $"its own root keys (v{candidate.Signed.Version})");
            if (candidate.Signed.Version != next)
                throw new TufVersionException(Role.Root, "version", $"{next}.root.json holds root version {candidate.Signed.Version}, expected {next}");
            _root = candidate;
            await _store.WriteAsync(Role.Root, raw, cancellation);
        }
        CheckNotExpired(Role.Root, _root!.Signed);
        // §5.3.11: new timestamp or snapshot keys make the stored timestamp and snapshot useless (and may hide a fast-forward attack).
        if (KeysChanged(initial, _root.Signed, Role.Timestamp) || KeysChanged(initial, _root.Signed, Role.Snapshot))
        {
            _store.Delete(Role.Timestamp);
            _store.Delete(Role.Snapshot);
        }
    }

    private static bool KeysChanged(RootMetadata before, RootMetadata after, string role) =>
        !before.RoleKeysOf(role).KeyIds.ToHashSet(StringComparer.Ordinal).SetEquals(after.RoleKeysOf(role).KeyIds);

    // ---------------------------------------------------------------- timestamp (§5.4)

    private async Task UpdateTimestampAsync(CancellationToken cancellation)
    {
        var root = _root!.Signed;
        var keys = root.RoleKeysOf(Role.Timestamp);
        // The stored timestamp, even expired, is the baseline that stops a rollback of the new one.
        var trusted = await LoadLocalAsync<TimestampMetadata>(Role.Timestamp, _options.TimestampMaxBytes, keys, root.Keys, cancellation);

        var raw = await _fetcher.FetchAsync(MetadataUrl("timestamp.json"), _options.TimestampMaxBytes, Role.Timestamp, cancellation);
        var candidate = Parse<TimestampMetadata>(raw, Role.Timestamp);
        VerifySignatures(Role.Timestamp, candidate, keys, root.Keys, $"root v{root.Version}");
        if (trusted is not null)
        {
            var (newVersion, trustedVersion) = (candidate.Signed.Version, trusted.Signed.Version);
            if (newVersion < trustedVersion)
                throw new TufVersionException(Role.Timestamp, "rollback", $"timestamp version {newVersion} is lower than the trusted version {trustedVersion}");
            if (newVersion == trustedVersion)
            {
                // Nothing new: keep the trusted timestamp as it is (it must still be current).
                CheckNotExpired(Role.Timestamp, trusted.Signed);
                _timestamp = trusted;
                return;
            }
            var (newSnapshot, trustedSnapshot) = (candidate.Signed.SnapshotMeta.Version, trusted.Signed.SnapshotMeta.Version);
            if (newSnapshot < trustedSnapshot)
                throw new TufVersionException(Role.Timestamp, "snapshot-rollback",
                    $"timestamp v{newVersion} lists snapshot version {newSnapshot}, lower than {trustedSnapshot} in the trusted timestamp v{trustedVersion}");
        }
        CheckNotExpired(Role.Timestamp, candidate.Signed);
        _timestamp = candidate;
        await _store.WriteAsync(Role.Timestamp, raw, cancellation);
    }

    // ---------------------------------------------------------------- snapshot (§5.5)

    private async Task UpdateSnapshotAsync(CancellationToken cancellation)
    {
        var root = _root!.Signed;
        var keys = root.RoleKeysOf(Role.Snapshot);
        var meta = _timestamp!.Signed.SnapshotMeta;
        var maxBytes = meta.Length ?? _options.SnapshotMaxBytes;
        // The stored file was accepted under an earlier limit: read it under the larger one, or a shrinking snapshot would hide it.
        var trusted = await LoadLocalAsync<SnapshotMetadata>(Role.Snapshot, Math.Max(maxBytes, _options.SnapshotMaxBytes), keys, root.Keys, cancellation);
        if (trusted is not null && trusted.Signed.Version == meta.Version && !trusted.Signed.IsExpired(_updateStart))
        {
            _snapshot = trusted; // already have exactly the snapshot the timestamp names
            return;
        }

        var name = root.ConsistentSnapshot ? $"{meta.Version}.snapshot.json" : "snapshot.json";
        var raw = await _fetcher.FetchAsync(MetadataUrl(name), maxBytes, Role.Snapshot, cancellation);
        VerifyLengthAndHashes(Role.Snapshot, name, raw, meta, $"timestamp v{_timestamp.Signed.Version}");
        var candidate = Parse<SnapshotMetadata>(raw, Role.Snapshot);
        VerifySignatures(Role.Snapshot, candidate, keys, root.Keys, $"root v{root.Version}");
        if (candidate.Signed.Version != meta.Version)
            throw new TufVersionException(Role.Snapshot, "version",
                $"snapshot version {candidate.Signed.Version} != timestamp meta version {meta.Version}");
        if (trusted is not null)
            CheckNoTargetsRollback(candidate.Signed, trusted.Signed);
        CheckNotExpired(Role.Snapshot, candidate.Signed);
        _snapshot = candidate;
        await _store.WriteAsync(Role.Snapshot, raw, cancellation);
    }

    private static void CheckNoTargetsRollback(SnapshotMetadata candidate, SnapshotMetadata trusted)
    {
        foreach (var (file, trustedMeta) in trusted.Meta)
        {
            if (!candidate.Meta.TryGetValue(file, out var newMeta))
                throw new TufRoleMissingException(Role.Snapshot,
                    $"snapshot v{candidate.Version} no longer lists {file}, which the trusted snapshot v{trusted.Version} lists at version {trustedMeta.Version}");
            if (newMeta.Version < trustedMeta.Version)
                throw new TufVersionException(Role.Snapshot, "rollback",
                    $"snapshot v{candidate.Version} lists {file} at version {newMeta.Version}, lower than {trustedMeta.Version} in the trusted snapshot v{trusted.Version}");
        }
    }

    // ---------------------------------------------------------------- targets (§5.6)

    /// <summary>Loads a targets role (top-level or delegated) signed by <paramref name="keys"/> of <paramref name="delegator"/>, checked against the snapshot.</summary>
    private async Task<SignedMetadata<TargetsMetadata>> LoadTargetsAsync(string role, string delegator, RoleKeys keys, IReadOnlyDictionary<string, Key> keyMap, CancellationToken cancellation)
    {
        var signer = delegator == Role.Root ? $"root v{_root!.Signed.Version}" : $"its delegator {delegator}";
        if (_targets.TryGetValue(role, out var loaded))
        {
            // Verified through another delegator (a diamond): only this path's delegation vouches for it here (§5.6.7).
            if (_vouched.Contains((role, delegator))) return loaded;
            VerifySignatures(role, loaded, keys, keyMap, signer);
            return Trusted(role, delegator, loaded);
        }
        var snapshot = _snapshot!.Signed;
        if (!snapshot.Meta.TryGetValue(role + ".json", out var meta))
            throw new TufRoleMissingException(role, $"snapshot v{snapshot.Version} does not list {role}.json");
        var maxBytes = meta.Length ?? _options.TargetsMaxBytes;
        var local = await LoadLocalAsync<TargetsMetadata>(role, Math.Max(maxBytes, _options.TargetsMaxBytes), keys, keyMap, cancellation);
        if (local is not null && local.Signed.Version == meta.Version && !local.Signed.IsExpired(_updateStart))
            return Trusted(role, delegator, local);

        var encoded = Uri.EscapeDataString(role);
        var name = _root!.Signed.ConsistentSnapshot ? $"{meta.Version}.{encoded}.json" : $"{encoded}.json";
        var raw = await _fetcher.FetchAsync(MetadataUrl(name), maxBytes, role, cancellation);
        VerifyLengthAndHashes(role, name, raw, meta, $"snapshot v{snapshot.Version}");
        var candidate = Parse<TargetsMetadata>(raw, role);
        VerifySignatures(role, candidate, keys, keyMap, signer);
        if (candidate.Signed.Version != meta.Version)
            throw new TufVersionException(role, "version", $"{role} version {candidate.Signed.Version} != snapshot meta version {meta.Version}");
        CheckNotExpired(role, candidate.Signed);
        await _store.WriteAsync(role, raw, cancellation);
        return Trusted(role, delegator, candidate);
    }

    /// <summary>Keeps <paramref name="targets"/>, verified through <paramref name="delegator"/>, for the rest of this update.</summary>
    private SignedMetadata<TargetsMetadata> Trusted(string role, string delegator, SignedMetadata<TargetsMetadata> targets)
    {
        _vouched.Add((role, delegator));
        return _targets[role] = targets;
    }

    /// <summary>
    /// Finds <paramref name="targetPath"/>: a pre-order depth-first walk of the delegation tree from the top-level
    /// targets, following only roles whose paths match, stopping below a terminating role, visiting at most
    /// <see cref="UpdaterOptions.MaxDelegationsVisited"/> roles. Null when no trusted role lists the target.
    /// </summary>
    public async Task<TargetInfo?> GetTargetInfoAsync(string targetPath, CancellationToken cancellation = default)
    {
        if (_snapshot is null) await RefreshAsync(cancellation);
        var root = _root!.Signed;
        var pending = new Stack<(string Role, string Delegator, RoleKeys Keys, IReadOnlyDictionary<string, Key> KeyMap)>();
        pending.Push((Role.Targets, Role.Root, root.RoleKeysOf(Role.Targets), root.Keys));
        var visited = new HashSet<(string, string)>();
        while (pending.Count > 0 && visited.Count < _options.MaxDelegationsVisited)
        {
            var (role, delegator, keys, keyMap) = pending.Pop();
            if (!visited.Add((role, delegator))) continue;
            var targets = (await LoadTargetsAsync(role, delegator, keys, keyMap, cancellation)).Signed;
            if (targets.Targets.TryGetValue(targetPath, out var file))
                return new TargetInfo(targetPath, file, role);
            if (targets.Delegations is not { } delegations) continue;
            var children = new List<DelegatedRole>();
            foreach (var child in delegations.Roles.Where(r => r.MatchesTarget(targetPath)))
            {
                children.Add(child);
                if (child.Terminating)
                {
                    pending.Clear(); // a terminating role ends the search outside its own subtree
                    break;
                }
            }
            for (var i = children.Count - 1; i >= 0; i--)
                pending.Push((children[i].Name, role, children[i].Keys, delegations.Keys));
        }
        return null;
    }

    // ---------------------------------------------------------------- target files (§5.7)

    /// <summary>Where a target is (or would be) stored: one file per target path, the path URL-encoded into one name.</summary>
    public string TargetFilePath(TargetInfo target) => Path.Combine(RequiredTargetDir(), TargetFileName(target.Path));

    /// <summary>The target path URL-encoded into one file name.</summary>
    public static string TargetFileName(string targetPath) =>
        targetPath.Length == 0 ? throw new TufClientException(targetPath, "target-path", "a target path cannot be empty") : EncodeSegment(targetPath);

    /// <summary>URL-encodes everything but unreserved characters, and "." / ".." too so they never name a folder.</summary>
    private static string EncodeSegment(string text)
    {
        var encoded = Uri.EscapeDataString(text);
        return encoded is "." or ".." ? encoded.Replace(".", "%2E", StringComparison.Ordinal) : encoded;
    }

    /// <summary>The stored file of <paramref name="target"/> when its length and every hash match; otherwise null.</summary>
    public async Task<string?> FindCachedTargetAsync(TargetInfo target, CancellationToken cancellation = default)
    {
        var path = TargetFilePath(target);
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
            if (file.Length != target.File.Length) return null;
            await Hashes.VerifyAsync(target.Path, target.Path, file, target.File.Length, target.File.Hashes, cancellation: cancellation);
            return path;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or HashMismatchException)
        {
            return null;
        }
    }

    /// <summary>
    /// Fetches the target (by its hash-prefixed name when the repository uses consistent snapshots), reading at most
    /// its exact length, checks length and every hash, and only then writes it atomically to the target folder.
    /// </summary>
    public async Task<string> DownloadTargetAsync(TargetInfo target, CancellationToken cancellation = default)
    {
        var baseUrl = WithTrailingSlash(_options.TargetBaseUrl ?? throw new InvalidOperationException("UpdaterOptions.TargetBaseUrl is needed to download targets"));
        var url = new Uri(baseUrl, TargetUrlPath(target));
        var data = await _fetcher.FetchAsync(url, target.File.Length, target.Path, cancellation);
        try
        {
            Hashes.Verify(target.Path, target.Path, data, target.File.Length, target.File.Hashes);
        }
        catch (HashMismatchException e)
        {
            throw new TufLengthOrHashException(target.Path, e.Check, $"target {target.Path} from {url}: {e.Message}");
        }
        var path = TargetFilePath(target);
        Directory.CreateDirectory(RequiredTargetDir());
        await AtomicFile.WriteAsync(path, data, cancellation);
        return path;
    }

    /// <summary><c>dir/&lt;sha256&gt;.name</c> with consistent snapshots, else the path itself; each segment URL-encoded.</summary>
    private string TargetUrlPath(TargetInfo target)
    {
        var segments = target.Path.Split('/');
        if (_root?.Signed.ConsistentSnapshot ?? true)
        {
            var hashes = target.File.Hashes;
            var hash = hashes.TryGetValue(Hashes.Sha256, out var sha256) ? sha256 : hashes.Values.First();
            segments[^1] = hash + "." + segments[^1];
        }
        return string.Join('/', segments.Select(EncodeSegment));
    }

    private string RequiredTargetDir() =>
        _options.TargetDir ?? throw new InvalidOperationException("UpdaterOptions.TargetDir is needed for target files");

    // ---------------------------------------------------------------- shared checks

    /// <summary>
    /// The stored metadata of a role if it still verifies against the current keys; null when absent or unusable
    /// (bad signature after a key rotation, corrupt file): it is then simply fetched anew. Expiry is not checked here.
    /// </summary>
    private async Task<SignedMetadata<T>?> LoadLocalAsync<T>(string role, long maxBytes, RoleKeys keys, IReadOnlyDictionary<string, Key> keyMap, CancellationToken cancellation)
        where T : SignedPayload, ISignedPayload<T>
    {
        try
        {
            var raw = await _store.ReadAsync(role, maxBytes, cancellation);
            if (raw is null) return null;
            var local = Parse<T>(raw, role);
            VerifySignatures(role, local, keys, keyMap, "current keys");
            return local;
        }
        catch (TufClientException)
        {
            return null;
        }
    }

    private static SignedMetadata<T> Parse<T>(byte[] raw, string role) where T : SignedPayload, ISignedPayload<T>
    {
        try
        {
            return SignedMetadata<T>.Parse(raw, role);
        }
        catch (MetadataException e)
        {
            throw new TufMetadataFormatException(role, $"{role} metadata is malformed: {e.Message}", e);
        }
    }

    private static void VerifySignatures<T>(string role, SignedMetadata<T> metadata, RoleKeys keys, IReadOnlyDictionary<string, Key> keyMap, string signer)
        where T : SignedPayload, ISignedPayload<T>
    {
        try
        {
            ThresholdVerifier.Verify(role, keys, keyMap, metadata);
        }
        catch (MetadataException e)
        {
            throw new TufSignatureException(role, $"{role} v{metadata.Signed.Version} is not signed by a threshold of {signer}: {e.Message}", e);
        }
    }

    private static void VerifyLengthAndHashes(string role, string fileName, byte[] raw, MetaFile meta, string listedBy)
    {
        try
        {
            Hashes.Verify(role, fileName, raw, meta.Length, meta.Hashes);
        }
        catch (HashMismatchException e)
        {
            throw new TufLengthOrHashException(role, e.Check, $"{fileName} does not match {listedBy}: {e.Message}");
        }
    }

    private void CheckNotExpired(string role, SignedPayload signed)
    {
        if (signed.IsExpired(_updateStart)) throw new TufExpiredException(role, signed.Expires, _updateStart);
    }

    private Uri MetadataUrl(string fileName) => new(_metadataBaseUrl, fileName);

    private static Uri WithTrailingSlash(Uri url) =>
        url.AbsolutePath.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
}
