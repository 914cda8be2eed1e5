using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Repository;

/// <summary>
/// A TUF repository with one shared root and, per device tag, several views (production and one per active
/// wave), each its own targets → snapshot → timestamp chain. All views of a tag are re-signed together with
/// the same versions. Every operation either completes or throws leaving <see cref="State"/> unchanged.
/// Private keys are held as <see cref="ISigner"/>s; a role whose keys are not loaded is signed offline
/// through <see cref="SigningRequest"/>s.
/// </summary>
public sealed partial class TufRepository
{
    /// <summary>The view every tag starts with.</summary>
    public const string ProductionView = "production";

    private readonly Dictionary<string, ISigner> _signers = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    private TufRepository(RepositoryState state, RepositoryOptions options, TimeProvider time, IEnumerable<ISigner> signers)
    {
        State = state;
        Options = options;
        _time = time;
        foreach (var signer in signers) AddSigner(signer);
    }

    public RepositoryState State { get; private set; }
    public RepositoryOptions Options { get; }

    /// <summary>The trusted (latest committed) root.</summary>
    public SignedMetadata<RootMetadata> Root => RootDocument(State.Roots.Count);

    public SignedMetadata<RootMetadata> RootDocument(int version) =>
        version >= 1 && version <= State.Roots.Count
            ? SignedMetadata<RootMetadata>.Parse(State.Roots[version - 1])
            : throw new RepositoryException($"no root version {version}; versions 1..{State.Roots.Count} exist");

    /// <summary>
    /// A new repository: generates the keys of each top-level role (count and threshold from
    /// <see cref="RepositoryOptions.Roles"/>) and signs root v1 with consistent snapshots on. All generated
    /// keys are loaded; save the offline ones (root) with <see cref="KeyPair.SaveAsync"/> and <see cref="RemoveSigner"/> them.
    /// </summary>
    public static (TufRepository Repository, IReadOnlyDictionary<string, IReadOnlyList<KeyPair>> Keys) Create(RepositoryOptions? options = null, TimeProvider? time = null)
    {
        options ??= new RepositoryOptions();
        time ??= TimeProvider.System;
        var keys = new Dictionary<string, IReadOnlyList<KeyPair>>();
        foreach (var role in Role.TopLevel)
        {
            var spec = options.SpecOf(role);
            if (spec.KeyCount < 1 || spec.Threshold < 1 || spec.Threshold > spec.KeyCount)
                throw new RepositoryException($"{role}: threshold {spec.Threshold} with {spec.KeyCount} key(s) is impossible; need 1 <= threshold <= keys");
            keys[role] = Enumerable.Range(0, spec.KeyCount).Select(_ => KeyPair.Generate(options.Scheme)).ToList();
        }
        var now = Now(time);
        var root = new RootMetadata
        {
            Version = 1,
            Expires = now + options.RootLifetime,
            ConsistentSnapshot = true,
            Keys = keys.Values.SelectMany(k => k).ToDictionary(k => k.KeyId, k => k.PublicKey),
            Roles = keys.ToDictionary(k => k.Key, k => new RoleKeys(k.Value.Select(p => p.KeyId).ToList(), options.SpecOf(k.Key).Threshold)),
        };
        var signedRoot = SignedMetadata<RootMetadata>.Sign(root, keys[Role.Root]);
        var state = new RepositoryState { Roots = [signedRoot.ToBytes()], Tags = new Dictionary<string, TagState>() };
        return (new TufRepository(state, options, time, keys.Values.SelectMany(k => k)), keys);
    }

    /// <summary>A repository from saved state, with the private keys available on this node.</summary>
    public static TufRepository Load(RepositoryState state, IEnumerable<ISigner> signers, RepositoryOptions? options = null, TimeProvider? time = null)
    {
        if (state.Roots.Count == 0) throw new RepositoryException("the state holds no root");
        return new TufRepository(state, options ?? new RepositoryOptions(), time ?? TimeProvider.System, signers);
    }

    public void AddSigner(ISigner signer) => _signers[signer.KeyId] = signer;

    public bool RemoveSigner(string keyId) => _signers.Remove(keyId);

    // ---- targets and views -------------------------------------------------------------------------

    /// <summary>
    /// Adds a view to <paramref name="tag"/> (creating the tag with a production view first if new), starting
    /// with the targets of <paramref name="copyFrom"/> when given. Takes effect at the next <see cref="Publish"/>.
    /// </summary>
    public void AddView(string tag, string view, string? copyFrom = ProductionView)
    {
        CheckName("tag", tag);
        CheckName("view", view);
        if (!State.Tags.TryGetValue(tag, out var tagState))
        {
            tagState = NewTag(State.Unpublished);
            if (view == ProductionView)
            {
                State = State with { Tags = With(State.Tags, tag, tagState) };
                return;
            }
        }
        if (tagState.Views.ContainsKey(view))
            throw new RepositoryException($"tag {tag} already has a view \"{view}\"");
        EditableTag(tag);
        var targets = copyFrom is null ? new Dictionary<string, StoredTarget>() : new Dictionary<string, StoredTarget>(ViewOf(tagState, tag, copyFrom).Targets);
        var views = With(tagState.Views, view, new ViewState { Targets = targets });
        State = State with { Tags = With(State.Tags, tag, tagState with { Views = views }) };
    }

    /// <summary>Removes a wave's view (its files already written stay where they are). The production view stays.</summary>
    public void RemoveView(string tag, string view)
    {
        var tagState = EditableTag(tag);
        ViewOf(tagState, tag, view);
        if (view == ProductionView) throw new RepositoryException($"tag {tag}: the production view cannot be removed");
        var views = tagState.Views.Where(v => v.Key != view).ToDictionary();
        State = State with { Tags = With(State.Tags, tag, tagState with { Views = views }) };
    }

    /// <summary>
    /// A tag with an empty production view, its versions where the <see cref="RepositoryState.Unpublished"/> chain is: a device
    /// that trusted that chain before the tag had anything takes the tag's first publication, signed one version above it.
    /// </summary>
    private static TagState NewTag(TagState? unpublished) => new()
    {
        TargetsVersion = unpublished?.TargetsVersion ?? 0,
        SnapshotVersion = unpublished?.SnapshotVersion ?? 0,
        TimestampVersion = unpublished?.TimestampVersion ?? 0,
        Views = new Dictionary<string, ViewState> { [ProductionView] = new() { Targets = new Dictionary<string, StoredTarget>() } },
    };

    /// <summary>
    /// Signs the <see cref="RepositoryState.Unpublished"/> chain (empty targets → snapshot → timestamp, no tag in it) at
    /// its next versions with the online keys; throws <see cref="SigningKeysMissingException"/> when the targets, snapshot
    /// or timestamp keys are not loaded. Every tag created afterwards starts at its versions.
    /// </summary>
    public void SignUnpublished() =>
        State = State with { Unpublished = SignUnpublishedChain(State.Unpublished ?? NewTag(null), Role.Targets, Now(_time)) };

    /// <summary>The unpublished chain re-signed from <paramref name="fromRole"/> down, versions bumped; needs every key online.</summary>
    private TagState SignUnpublishedChain(TagState chain, string fromRole, DateTimeOffset now)
    {
        var root = Root.Signed;
        if (fromRole == Role.Targets)
        {
            var version = chain.TargetsVersion + 1;
            var targets = SignOnline(new TargetsMetadata
            {
                Version = version,
                Expires = now + Options.TargetsLifetime,
                Targets = new Dictionary<string, TargetFile>(),
            }, Role.Targets, root).ToBytes();
            chain = chain with
            {
                TargetsVersion = version,
                Views = chain.Views.ToDictionary(v => v.Key, v => v.Value with { TargetsRaw = targets, PublishedTargets = v.Value.Targets }),
            };
        }
        return SignSnapshotAndTimestamp(chain, fromRole, root, now);
    }

    public IReadOnlyCollection<string> ViewsOf(string tag) => TagOf(tag).Views.Keys.ToList();

    /// <summary>
    /// Sets target <paramref name="name"/> of a view to <paramref name="content"/> (length, sha256 and sha512 are
    /// computed here) with optional <paramref name="custom"/> data. Takes effect at the next <see cref="Publish"/>.
    /// </summary>
    /// <param name="delegate">The delegated role that signs for the target (its paths must match the name); null: top-level targets.</param>
    public void AddTarget(string tag, string view, string name, ReadOnlySpan<byte> content, JsonObject? custom = null, string? @delegate = null)
    {
        CheckTargetName(name);
        if (@delegate is not null)
        {
            var role = DelegationsOf(tag)?.Roles.FirstOrDefault(r => r.Name == @delegate)
                ?? throw new RepositoryException($"tag {tag} has no delegated role \"{@delegate}\"; delegated roles: [{string.Join(", ", DelegationsOf(tag)?.Roles.Select(r => r.Name) ?? [])}]");
            if (!role.MatchesTarget(name))
                throw new RepositoryException($"target \"{name}\" is outside what delegated role \"{@delegate}\" may sign for ({DescribeScope(role)})");
        }
        var target = new StoredTarget(content.ToArray(), Hashes.Compute(content), custom?.DeepClone().AsObject()) { Delegate = @delegate };
        EditTargets(tag, view, targets => With(targets, name, target));
    }

    // ---- delegations ---------------------------------------------------------------------------------

    /// <summary>
    /// Adds a delegated role to the top-level targets of every view of <paramref name="tag"/> (after the roles
    /// already there, which take priority in the client's search), with the public <paramref name="keys"/> its
    /// keyids name. Its metadata is signed with the targets at the next <see cref="Publish"/>, by its keys if
    /// loaded, else through offline signing requests. One level: a delegated role does not delegate further.
    /// </summary>
    public void AddDelegation(string tag, DelegatedRole role, IEnumerable<Key> keys)
    {
        var tagState = EditableTag(tag);
        CheckName("delegated role", role.Name);
        if (Role.TopLevel.Contains(role.Name)) throw new RepositoryException($"a delegated role cannot be named like top-level role \"{role.Name}\"");
        var keyMap = keys.ToDictionary(k => k.KeyId, StringComparer.Ordinal);
        var distinct = role.KeyIds.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count != role.KeyIds.Count) throw new RepositoryException($"delegated role {role.Name}: a keyid is listed twice");
        if (distinct.FirstOrDefault(id => !keyMap.ContainsKey(id)) is { } missing)
            throw new RepositoryException($"delegated role {role.Name}: no public key given for keyid {missing}");
        if (role.Threshold < 1 || role.Threshold > distinct.Count)
            throw new RepositoryException($"delegated role {role.Name}: threshold {role.Threshold} with {distinct.Count} key(s) is impossible; need 1 <= threshold <= keys");
        if ((role.Paths is null) == (role.PathHashPrefixes is null))
            throw new RepositoryException($"delegated role {role.Name}: give exactly one of paths and path hash prefixes");
        var current = DelegationsOf(tag) ?? new Delegations(new Dictionary<string, Key>(), []);
        if (current.Roles.Any(r => r.Name == role.Name)) throw new RepositoryException($"tag {tag} already delegates to \"{role.Name}\"");
        var allKeys = new Dictionary<string, Key>(current.Keys);
        foreach (var id in distinct) allKeys[id] = keyMap[id];
        var delegations = new Delegations(allKeys, [.. current.Roles, role]);
        State = State with { Tags = With(State.Tags, tag, tagState with { Delegations = CanonicalJson.Serialize(delegations.ToJson()) }) };
    }

    /// <summary>Removes a delegated role that no longer lists targets in any view; takes effect at the next <see cref="Publish"/>.</summary>
    public void RemoveDelegation(string tag, string roleName)
    {
        var tagState = EditableTag(tag);
        var current = DelegationsOf(tag);
        if (current?.Roles.Any(r => r.Name == roleName) != true) throw new RepositoryException($"tag {tag} has no delegated role \"{roleName}\"");
        var listed = tagState.Views.SelectMany(v => v.Value.Targets.Where(t => t.Value.Delegate == roleName).Select(t => $"{v.Key}:{t.Key}")).ToList();
        if (listed.Count > 0) throw new RepositoryException($"delegated role {roleName} still lists targets ({string.Join(", ", listed)}); remove them first");
        var roles = current.Roles.Where(r => r.Name != roleName).ToList();
        var used = roles.SelectMany(r => r.KeyIds).ToHashSet(StringComparer.Ordinal);
        var remaining = new Delegations(current.Keys.Where(k => used.Contains(k.Key)).ToDictionary(), roles);
        State = State with { Tags = With(State.Tags, tag, tagState with { Delegations = roles.Count == 0 ? null : CanonicalJson.Serialize(remaining.ToJson()) }) };
    }

    /// <summary>The delegations of a tag's top-level targets, or null when it has none.</summary>
    public Delegations? DelegationsOf(string tag) => DelegationsOf(TagOf(tag));

    private static Delegations? DelegationsOf(TagState tagState) =>
        tagState.Delegations is { } json ? Delegations.FromJson(CanonicalJson.ParseDocument(json).RootElement, Role.Targets) : null;

    private static string DescribeScope(DelegatedRole role) =>
        role.Paths is { } paths ? $"paths [{string.Join(", ", paths)}]" : $"path hash prefixes [{string.Join(", ", role.PathHashPrefixes!)}]";

    public void RemoveTarget(string tag, string view, string name) =>
        EditTargets(tag, view, targets => targets.ContainsKey(name)
            ? targets.Where(t => t.Key != name).ToDictionary()
            : throw new RepositoryException($"tag {tag} view {view} has no target \"{name}\""));

    private void EditTargets(string tag, string view, Func<IReadOnlyDictionary<string, StoredTarget>, IReadOnlyDictionary<string, StoredTarget>> edit)
    {
        var tagState = EditableTag(tag);
        var viewState = ViewOf(tagState, tag, view);
        var views = With(tagState.Views, view, viewState with { Targets = edit(viewState.Targets) });
        State = State with { Tags = With(State.Tags, tag, tagState with { Views = views }) };
    }

    /// <summary>
    /// Signs targets → snapshot → timestamp of every view of <paramref name="tag"/> at the next shared versions.
    /// When the targets keys are not loaded, returns the offline <see cref="SigningRequest"/>s (one per view)
    /// and publishes once they are all signed; otherwise returns an empty list.
    /// </summary>
    public IReadOnlyList<SigningRequest> Publish(string tag) => Resign(tag, Role.Targets);

    /// <summary>
    /// Re-signs, for every tag, any role that expires within <see cref="RepositoryOptions.RefreshWhenRemaining"/>
    /// of its lifetime (and the roles below it). Returns the (tag, role) pairs re-signed — for targets whose keys
    /// are offline, put up for signing (see <see cref="PendingRequests"/>). The <see cref="RepositoryState.Unpublished"/>
    /// chain is refreshed the same way (not listed) while its keys are online.
    /// </summary>
    public IReadOnlyList<(string Tag, string Role)> RefreshExpiring()
    {
        var now = Now(_time);
        var refreshed = new List<(string, string)>();
        foreach (var (tag, tagState) in State.Tags)
        {
            if (tagState.PendingTargets is not null || tagState.TimestampVersion == 0) continue;
            if (ExpiringRole(tagState, now) is not { } role) continue;
            Resign(tag, role);
            refreshed.Add((tag, role));
        }
        if (State.Unpublished is { } chain && ExpiringRole(chain, now) is { } expiring && OnlineKeysSign(chain, expiring, now) is { } signed)
            State = State with { Unpublished = signed };
        return refreshed;
    }

    /// <summary>The highest role of the tag's views that expires soon (the roles below it are re-signed with it), or null.</summary>
    private string? ExpiringRole(TagState tagState, DateTimeOffset now) =>
        Role.TopLevel.Skip(1).FirstOrDefault(r => tagState.Views.Values.Any(v => ExpiresSoon(v, r, now)));

    /// <summary>
    /// The unpublished chain re-signed from <paramref name="fromRole"/>, or null when a key it needs went offline (a root
    /// change made it so): the chain then keeps its versions, so tags created later still start above what devices trusted.
    /// </summary>
    private TagState? OnlineKeysSign(TagState chain, string fromRole, DateTimeOffset now)
    {
        try
        {
            return SignUnpublishedChain(chain, fromRole, now);
        }
        catch (SigningKeysMissingException)
        {
            return null;
        }
    }

    /// <summary>Whether the trusted root expires within the refresh margin (root is renewed with <see cref="UpdateRoot"/>).</summary>
    public bool RootExpiresSoon => Root.Signed.Expires - Now(_time) < Options.RootLifetime * Options.RefreshWhenRemaining;

    private bool ExpiresSoon(ViewState view, string role, DateTimeOffset now)
    {
        var expires = role switch
        {
            Role.Targets => view.TargetsRaw is null ? DateTimeOffset.MinValue : SignedMetadata<TargetsMetadata>.Parse(view.TargetsRaw).Signed.Expires,
            Role.Snapshot => view.SnapshotRaw is null ? DateTimeOffset.MinValue : SignedMetadata<SnapshotMetadata>.Parse(view.SnapshotRaw).Signed.Expires,
            _ => view.TimestampRaw is null ? DateTimeOffset.MinValue : SignedMetadata<TimestampMetadata>.Parse(view.TimestampRaw).Signed.Expires,
        };
        return expires - now < Options.LifetimeOf(role) * Options.RefreshWhenRemaining;
    }

    /// <summary>Re-signs <paramref name="fromRole"/> and every role below it for all views of a tag, versions bumped together.</summary>
    private IReadOnlyList<SigningRequest> Resign(string tag, string fromRole)
    {
        var tagState = EditableTag(tag);
        var root = Root.Signed;
        var now = Now(_time);
        // A view added since the last publish has no targets yet: the whole chain is signed again.
        if (tagState.Views.Values.Any(v => v.TargetsRaw is null)) fromRole = Role.Targets;
        if (fromRole == Role.Targets)
        {
            var version = tagState.TargetsVersion + 1;
            var delegations = DelegationsOf(tagState);
            var documents = tagState.Views.SelectMany(v => TargetsDocumentsOf(v.Key, v.Value, delegations, version, now)).ToList();
            var requests = documents.Select(d =>
            {
                var (keys, keyMap) = SigningKeysOf(d.Role, root, delegations);
                var payload = CanonicalJson.Serialize(d.Payload.ToJson());
                var signatures = keys.KeyIds.Select(id => _signers.GetValueOrDefault(id)).OfType<ISigner>()
                    .Select(signer => new Signature(signer.KeyId, Convert.ToHexStringLower(signer.Sign(payload)))).ToList();
                return new SigningRequest(d.Role == Role.Targets ? $"targets/{tag}/{d.View}/{version}" : $"{d.Role}/{tag}/{d.View}/{version}",
                    d.Role, tag, d.View, payload, signatures);
            }).ToList();
            if (requests.Any(r => !ThresholdMet(r, root, delegations)))
            {
                // Some role's keys are offline: every document waits, so the tag's views publish together.
                State = State with { Tags = With(State.Tags, tag, tagState with { PendingTargets = requests }) };
                return requests.Where(r => !ThresholdMet(r, root, delegations)).ToList();
            }
            tagState = WithSignedTargets(tagState, requests);
        }
        State = State with { Tags = With(State.Tags, tag, SignSnapshotAndTimestamp(tagState, fromRole, root, now)) };
        return [];
    }

    /// <summary>The top-level targets payload of a view and one payload per delegated role, at <paramref name="version"/>.</summary>
    private IEnumerable<(string View, string Role, TargetsMetadata Payload)> TargetsDocumentsOf(string view, ViewState viewState, Delegations? delegations, int version, DateTimeOffset now)
    {
        TargetsMetadata PayloadOf(string? @delegate) => new()
        {
            Version = version,
            Expires = now + Options.TargetsLifetime,
            Targets = viewState.Targets.Where(t => t.Value.Delegate == @delegate).ToDictionary(t => t.Key, t => t.Value.ToTargetFile()),
            Delegations = @delegate is null ? delegations : null,
        };
        yield return (view, Role.Targets, PayloadOf(null));
        foreach (var role in delegations?.Roles ?? [])
            yield return (view, role.Name, PayloadOf(role.Name));
    }

    /// <summary>The keys that sign a targets-type role: the root's targets keys, or a delegation's.</summary>
    private static (RoleKeys Keys, IReadOnlyDictionary<string, Key> KeyMap) SigningKeysOf(string role, RootMetadata root, Delegations? delegations)
    {
        if (role == Role.Targets) return (root.RoleKeysOf(Role.Targets), root.Keys);
        var delegated = delegations?.Roles.FirstOrDefault(r => r.Name == role)
            ?? throw new RepositoryException($"no delegated role \"{role}\"");
        return (delegated.Keys, delegations!.Keys);
    }

    private static bool ThresholdMet(SigningRequest request, RootMetadata root, Delegations? delegations)
    {
        var (keys, keyMap) = SigningKeysOf(request.Role, root, delegations);
        return ThresholdVerifier.CountValid(keys, keyMap, request.Payload, request.Signatures) >= keys.Threshold;
    }

    /// <summary>The tag with every view's targets and delegated metadata assembled from fully signed requests.</summary>
    private static TagState WithSignedTargets(TagState tagState, IReadOnlyList<SigningRequest> requests)
    {
        byte[] Document(SigningRequest request) =>
            SignedMetadata<TargetsMetadata>.Create(ParsePayload<TargetsMetadata>(request), request.Signatures).ToBytes();
        var views = tagState.Views.ToDictionary(v => v.Key, v =>
        {
            var ofView = requests.Where(r => r.View == v.Key).ToList();
            var delegated = ofView.Where(r => r.Role != Role.Targets).ToDictionary(r => r.Role, Document, StringComparer.Ordinal);
            return v.Value with
            {
                TargetsRaw = Document(ofView.Single(r => r.Role == Role.Targets)),
                DelegatedRaw = delegated.Count == 0 ? null : delegated,
                PublishedTargets = v.Value.Targets,
            };
        });
        return tagState with { TargetsVersion = tagState.TargetsVersion + 1, Views = views, PendingTargets = null };
    }

    /// <summary>Signs snapshot (unless starting at timestamp) and timestamp of every view of a tag; pure (no state change).</summary>
    private TagState SignSnapshotAndTimestamp(TagState tagState, string fromRole, RootMetadata root, DateTimeOffset now)
    {
        if (fromRole != Role.Timestamp)
        {
            var version = tagState.SnapshotVersion + 1;
            var views = tagState.Views.ToDictionary(v => v.Key, v => v.Value with
            {
                SnapshotRaw = SignOnline(new SnapshotMetadata
                {
                    Version = version,
                    Expires = now + Options.SnapshotLifetime,
                    Meta = new[] { Role.Targets }.Concat(v.Value.DelegatedRaw?.Keys ?? [])
                        .ToDictionary(role => $"{role}.json", _ => new MetaFile(tagState.TargetsVersion)),
                }, Role.Snapshot, root).ToBytes(),
            });
            tagState = tagState with { SnapshotVersion = version, Views = views };
        }
        var timestampVersion = tagState.TimestampVersion + 1;
        var timestamped = tagState.Views.ToDictionary(v => v.Key, v => v.Value with
        {
            TimestampRaw = SignOnline(new TimestampMetadata
            {
                Version = timestampVersion,
                Expires = now + Options.TimestampLifetime,
                SnapshotMeta = new MetaFile(tagState.SnapshotVersion, v.Value.SnapshotRaw!.Length,
                    new Dictionary<string, string> { [Hashes.Sha256] = Convert.ToHexStringLower(SHA256.HashData(v.Value.SnapshotRaw)) }),
            }, Role.Timestamp, root).ToBytes(),
        });
        return tagState with { TimestampVersion = timestampVersion, Views = timestamped };
    }

    // ---- root ----------------------------------------------------------------------------------------

    /// <summary>
    /// Prepares root N+1 with the given roles' keys and thresholds replaced (none: a plain renewal of the
    /// root's expiry), signs it with every loaded key of the old and new root role, and commits it when both
    /// the old and the new root thresholds are met. Otherwise it becomes <see cref="RepositoryState.PendingRoot"/>,
    /// returned here, to complete with <see cref="SubmitSignature"/>. After a commit, every role whose keys
    /// changed is re-signed for all tags.
    /// </summary>
    public SigningRequest UpdateRoot(params RoleKeyChange[] changes)
    {
        if (State.PendingRoot is { } pending)
            throw new RepositoryException($"root version {State.Roots.Count + 1} is already waiting for signatures (request {pending.Id})");
        var old = Root.Signed;
        var roles = new Dictionary<string, RoleKeys>(old.Roles);
        var keys = new Dictionary<string, Key>(old.Keys);
        foreach (var change in changes)
        {
            if (!Role.TopLevel.Contains(change.Role)) throw new RepositoryException($"\"{change.Role}\" is not a top-level role");
            var keyIds = change.Keys.Select(k => k.KeyId).Distinct().ToList();
            if (change.Threshold < 1 || change.Threshold > keyIds.Count)
                throw new RepositoryException($"{change.Role}: threshold {change.Threshold} with {keyIds.Count} distinct key(s) is impossible");
            roles[change.Role] = new RoleKeys(keyIds, change.Threshold);
            foreach (var key in change.Keys) keys[key.KeyId] = key;
        }
        var used = roles.Values.SelectMany(r => r.KeyIds).ToHashSet();
        var next = old with
        {
            Version = old.Version + 1,
            Expires = Now(_time) + Options.RootLifetime,
            Keys = keys.Where(k => used.Contains(k.Key)).ToDictionary(),
            Roles = roles,
        };
        var payload = CanonicalJson.Serialize(next.ToJson());
        var signers = old.Roles[Role.Root].KeyIds.Concat(next.Roles[Role.Root].KeyIds).Distinct()
            .Select(id => _signers.GetValueOrDefault(id)).OfType<ISigner>();
        var signatures = signers.Select(s => new Signature(s.KeyId, Convert.ToHexStringLower(s.Sign(payload)))).ToList();
        var request = new SigningRequest($"root/{next.Version}", Role.Root, null, null, payload, signatures);
        return CompleteOrKeep(request);
    }

    // ---- offline signing -----------------------------------------------------------------------------

    public IReadOnlyList<SigningRequest> PendingRequests =>
        [.. State.PendingRoot is { } root ? [root] : Array.Empty<SigningRequest>(), .. State.Tags.Values.SelectMany(t => t.PendingTargets ?? [])];

    /// <summary>The canonical bytes to sign for a pending request (give them to <see cref="OfflineSigning.SignPayloadAsync"/>).</summary>
    public byte[] PrepareUnsigned(string requestId) => FindRequest(requestId).Payload;

    /// <summary>
    /// Adds an offline signature to a pending request. A signature by a key the role does not list, or one that
    /// does not verify over the payload, is refused with the state unchanged. Completes the request (commits
    /// root N+1, or publishes the tag once every view's targets are signed) when its thresholds are met;
    /// returns whether it completed.
    /// </summary>
    public bool SubmitSignature(string requestId, Signature signature)
    {
        var request = FindRequest(requestId);
        var keys = AllowedKeys(request);
        if (!keys.TryGetValue(signature.KeyId, out var key))
            throw new RepositoryException($"{request.Id}: keyid {signature.KeyId} is not a {request.Role} key that may sign this request");
        if (!SignatureVerifier.Verify(key, request.Payload, signature.Sig))
            throw new RepositoryException($"{request.Id}: the signature of keyid {signature.KeyId} does not verify over the payload");
        var updated = request with { Signatures = [.. request.Signatures.Where(s => s.KeyId != signature.KeyId), signature] };
        return CompleteOrKeep(updated) is { } result && !PendingRequests.Any(r => r.Id == result.Id);
    }

    private SigningRequest FindRequest(string requestId) =>
        PendingRequests.FirstOrDefault(r => r.Id == requestId)
        ?? throw new RepositoryException($"no pending signing request \"{requestId}\"; pending: [{string.Join(", ", PendingRequests.Select(r => r.Id))}]");

    /// <summary>The keys whose signatures a request accepts: old and new root keys for root, the root's targets keys for targets.</summary>
    private Dictionary<string, Key> AllowedKeys(SigningRequest request)
    {
        var old = Root.Signed;
        if (request.Role != Role.Root)
        {
            var (roleKeys, keyMap) = SigningKeysOf(request.Role, old, DelegationsOf(TagOf(request.Tag!)));
            return roleKeys.KeyIds.Where(keyMap.ContainsKey).ToDictionary(id => id, id => keyMap[id]);
        }
        var next = ParsePayload<RootMetadata>(request);
        var allowed = old.Roles[Role.Root].KeyIds.Where(old.Keys.ContainsKey).ToDictionary(id => id, id => old.Keys[id]);
        foreach (var id in next.Roles[Role.Root].KeyIds.Where(next.Keys.ContainsKey)) allowed[id] = next.Keys[id];
        return allowed;
    }

    /// <summary>Commits a request whose thresholds are met, or stores it as pending; returns it.</summary>
    private SigningRequest CompleteOrKeep(SigningRequest request)
    {
        if (request.Role == Role.Root)
        {
            var old = Root.Signed;
            var next = ParsePayload<RootMetadata>(request);
            var document = SignedMetadata<RootMetadata>.Create(next, request.Signatures);
            var oldValid = ThresholdVerifier.CountValid(old.Roles[Role.Root], old.Keys, document.SignedBytes.Span, document.Signatures);
            var newValid = ThresholdVerifier.CountValid(next.Roles[Role.Root], next.Keys, document.SignedBytes.Span, document.Signatures);
            if (oldValid < old.Roles[Role.Root].Threshold || newValid < next.Roles[Role.Root].Threshold)
            {
                State = State with { PendingRoot = request };
                return request;
            }
            CommitRoot(old, document);
            return request;
        }
        var tag = request.Tag!;
        var tagState = TagOf(tag);
        var requests = tagState.PendingTargets!.Select(r => r.Id == request.Id ? request : r).ToList();
        var root = Root.Signed;
        var delegations = DelegationsOf(tagState);
        if (requests.Any(r => !ThresholdMet(r, root, delegations)))
        {
            State = State with { Tags = With(State.Tags, tag, tagState with { PendingTargets = requests }) };
            return request;
        }
        // Every document of every view is signed: publish snapshot and timestamp for the whole tag in one step.
        State = State with { Tags = With(State.Tags, tag, SignSnapshotAndTimestamp(WithSignedTargets(tagState, requests), Role.Targets, root, Now(_time))) };
        return request;
    }

    private void CommitRoot(RootMetadata old, SignedMetadata<RootMetadata> document)
    {
        var next = document.Signed;
        var changed = Role.TopLevel.Skip(1).FirstOrDefault(r => !old.Roles[r].KeyIds.SequenceEqual(next.Roles[r].KeyIds) || old.Roles[r].Threshold != next.Roles[r].Threshold);
        var before = State;
        State = State with { Roots = [.. State.Roots, document.ToBytes()], PendingRoot = null };
        if (changed is null) return;
        try
        {
            foreach (var tag in State.Tags.Where(t => t.Value.TimestampVersion > 0).Select(t => t.Key).ToList())
                Resign(tag, changed);
            if (State.Unpublished is { } chain && OnlineKeysSign(chain, changed, Now(_time)) is { } signed)
                State = State with { Unpublished = signed };
        }
        catch
        {
            State = before;
            throw;
        }
    }

    private static T ParsePayload<T>(SigningRequest request) where T : SignedPayload, ISignedPayload<T> =>
        SignedMetadata<T>.ParseSigned(request.Payload, request.Role);

    // ---- signing helpers -----------------------------------------------------------------------------

    private SignedMetadata<T> SignOnline<T>(T payload, string role, RootMetadata root) where T : SignedPayload, ISignedPayload<T>
    {
        var keys = root.RoleKeysOf(role);
        var signers = keys.KeyIds.Select(id => _signers.GetValueOrDefault(id)).OfType<ISigner>().ToList();
        if (signers.Count < keys.Threshold)
            throw new SigningKeysMissingException(role, signers.Count, keys.Threshold, keys.KeyIds.Where(id => !_signers.ContainsKey(id)));
        var document = SignedMetadata<T>.Sign(payload, signers);
        ThresholdVerifier.Verify(role, keys, root.Keys, document);
        return document;
    }

    private static DateTimeOffset Now(TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
    }

    // ---- lookups and validation ----------------------------------------------------------------------

    private TagState TagOf(string tag) =>
        State.Tags.GetValueOrDefault(tag) ?? throw new RepositoryException($"no tag \"{tag}\"; tags: [{string.Join(", ", State.Tags.Keys)}]");

    /// <summary>The tag, refused while its targets wait for offline signatures (the payloads must stay what was signed).</summary>
    private TagState EditableTag(string tag)
    {
        var tagState = TagOf(tag);
        return tagState.PendingTargets is null
            ? tagState
            : throw new RepositoryException($"tag {tag} has targets waiting for offline signatures ({string.Join(", ", tagState.PendingTargets.Select(r => r.Id))})");
    }

    private static ViewState ViewOf(TagState tagState, string tag, string view) =>
        tagState.Views.GetValueOrDefault(view) ?? throw new RepositoryException($"tag {tag} has no view \"{view}\"; views: [{string.Join(", ", tagState.Views.Keys)}]");

    internal static ViewState PublishedView(RepositoryState state, string tag, string view)
    {
        var viewState = state.Tags.GetValueOrDefault(tag)?.Views.GetValueOrDefault(view)
            ?? throw new RepositoryException($"no view \"{view}\" of tag \"{tag}\"");
        return viewState.TimestampRaw is null ? throw new RepositoryException($"tag {tag} view {view} is not published yet") : viewState;
    }

    private static void CheckName(string what, string name)
    {
        if (!NamePattern().IsMatch(name))
            throw new RepositoryException($"invalid {what} name \"{name}\": use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit");
    }

    /// <summary>Target names become paths under <c>targets/</c>: no empty, "." or ".." segments, no backslash or control chars.</summary>
    private static void CheckTargetName(string name)
    {
        if (name.Length is 0 or > 255 || name.Contains('\\') || name.Any(char.IsControl)
            || name.Split('/').Any(part => part is "" or "." or ".."))
            throw new RepositoryException($"invalid target name \"{name}\": 1-255 chars, '/'-separated non-empty parts other than . and .., no backslash or control characters");
    }

    // What this library can store as a tag, view or role (they become keys and metadata names). The product's own rules
    // (Protocol's Names.Tag and Names.Wave) are checked before a name gets here, and fall within this one.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    private static Dictionary<TKey, TValue> With<TKey, TValue>(IReadOnlyDictionary<TKey, TValue> source, TKey key, TValue value) where TKey : notnull =>
        new(source) { [key] = value };
}

/// <summary>New keys and threshold for one top-level role in root N+1.</summary>
public sealed record RoleKeyChange(string Role, IReadOnlyList<Key> Keys, int Threshold);
