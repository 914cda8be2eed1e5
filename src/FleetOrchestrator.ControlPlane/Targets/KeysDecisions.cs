using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Targets;

/// <summary>
/// The target registry's key decisions, without actors: root N+1 for a rotation, offline signatures applied to a
/// copy of the repository (a bad one is refused and changes nothing), the event a committed root produces, and how a
/// pending request is described to the operator. A root decision's answer is root N+1 when it still waits for
/// offline signatures (kept by the registry in memory, no event); a committed root is its <see cref="RootSigned"/> event.
/// </summary>
public static class KeysDecisions
{
    /// <summary>The roles whose key <c>pbm keys rotate-online</c> replaces.</summary>
    public static readonly IReadOnlyList<string> OnlineRoles = [Role.Targets, Role.Snapshot, Role.Timestamp];

    public const int MaxRootKeys = 8;

    /// <summary>Root N+1 whose root role is the given public keys (JSON key objects, threshold 1); none given: the same keys (a renewal).</summary>
    public static Decision<RootSigned, SigningRequest> PrepareRoot(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time, PrepareRoot command)
    {
        if (command.RootKeys.Count > MaxRootKeys) return Decision<RootSigned, SigningRequest>.Refuse($"give at most {MaxRootKeys} root keys, not {command.RootKeys.Count}");
        RoleKeyChange? change;
        try
        {
            change = command.RootKeys.Count == 0 ? null : new RoleKeyChange(Role.Root, command.RootKeys.Select(json => Key.Parse(json, Role.Root)).ToList(), 1);
        }
        catch (MetadataException e)
        {
            return Decision<RootSigned, SigningRequest>.Refuse($"invalid root key: {e.Message}");
        }
        return NextRoot(current, signers, time, change);
    }

    /// <summary>
    /// Whether <c>pbm keys rotate-online</c> may replace the key of <see cref="RotateOnlineKey.Role"/>: accepted with no
    /// event yet (the new key is stored first, then <see cref="ReplaceKey"/> names it).
    /// </summary>
    public static Decision<RootSigned> Rotate(TufRepository current, IEnumerable<ISigner> signers, bool storesKeys, RotateOnlineKey command) =>
        command.Role switch
        {
            _ when !OnlineRoles.Contains(command.Role) && command.Role != Role.Root =>
                Decision<RootSigned>.Refuse($"unknown role \"{command.Role}\"; online roles: {string.Join(", ", OnlineRoles)}"),
            _ when !RolesOnline(current, signers).Contains(command.Role) => Decision<RootSigned>.Refuse(command.Role == Role.Root
                ? "the root key of this factory is offline: rotate it with pbm keys rotate-root --key <root key file> --new-key <file>"
                : $"the {command.Role} key of this factory is offline; rotate-online replaces keys this registry holds"),
            _ when !storesKeys => Decision<RootSigned>.Refuse("this registry has no directory for online keys; it cannot store a new one"),
            _ => Decision<RootSigned>.Unchanged,
        };

    /// <summary>Root N+1 whose <see cref="RoleKeyChange.Role"/> has the new key(s): an online key rotated (<paramref name="signers"/> hold the new key).</summary>
    public static Decision<RootSigned, SigningRequest> ReplaceKey(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time, RoleKeyChange change) =>
        NextRoot(current, signers, time, change);

    /// <summary>
    /// Root N+1 prepared on a copy (a root still waiting for signatures is dropped: the new request replaces it):
    /// committed when the loaded keys meet the old and the new root threshold, else waiting for offline signatures.
    /// <paramref name="change"/> null: the same keys (a renewal).
    /// </summary>
    private static Decision<RootSigned, SigningRequest> NextRoot(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time, RoleKeyChange? change) =>
        RootChange(current, () =>
        {
            var scratch = TufRepository.Load(current.State with { PendingRoot = null }, signers, current.Options, time);
            if (change is null) scratch.UpdateRoot();
            else scratch.UpdateRoot(change);
            return scratch;
        });

    /// <summary>
    /// The signatures added to root N+1 (<paramref name="pendingRoot"/>, kept by the registry in memory); committed when
    /// its thresholds are met. Refused on the first signature that is not by a key the request accepts or that does not verify.
    /// </summary>
    public static Decision<RootSigned, SigningRequest> SubmitRoot(TufRepository current, SigningRequest pendingRoot, IEnumerable<ISigner> signers, TimeProvider time, SubmitSignatures command) =>
        command.Signatures.Count == 0
            ? Decision<RootSigned, SigningRequest>.Refuse($"{command.RequestId}: no signature given")
            : RootChange(current, () => Signed(current, pendingRoot, signers, time, command));

    /// <summary>
    /// The signatures added to the targets request <see cref="SubmitSignatures.RequestId"/> of a tag, persisted with the
    /// tag; the answer says whether the tag is signed now. Refused for a request nobody waits for (<paramref name="pendingRoot"/>
    /// is named among those that wait).
    /// </summary>
    public static Decision<TagSigned, string> SubmitTargets(TufRepository current, SigningRequest? pendingRoot, IEnumerable<ISigner> signers, TimeProvider time, SubmitSignatures command)
    {
        if (current.PendingRequests.FirstOrDefault(r => r.Id == command.RequestId) is not { Tag: { } tag })
        {
            var pending = (pendingRoot is null ? [] : new[] { pendingRoot.Id }).Concat(current.PendingRequests.Select(r => r.Id));
            return Decision<TagSigned, string>.Refuse($"no request \"{command.RequestId}\" waits for signatures; pending: [{string.Join(", ", pending)}]");
        }
        if (command.Signatures.Count == 0) return Decision<TagSigned, string>.Refuse($"{command.RequestId}: no signature given");
        try
        {
            var signed = Signed(current, null, signers, time, command).State.Tags[tag];
            return Decision<TagSigned, string>.Accept([new TagSigned(tag, signed)], signed.PendingTargets is null
                ? $"tag {tag} signed at targets version {signed.TargetsVersion}"
                : $"{command.RequestId} accepted {command.Signatures.Count} signature(s)");
        }
        catch (RepositoryException e)
        {
            return Decision<TagSigned, string>.Refuse(e.Message);
        }
    }

    private static TufRepository Signed(TufRepository current, SigningRequest? pendingRoot, IEnumerable<ISigner> signers, TimeProvider time, SubmitSignatures command)
    {
        var scratch = TufRepository.Load(current.State with { PendingRoot = pendingRoot }, signers, current.Options, time);
        foreach (var signature in command.Signatures) scratch.SubmitSignature(command.RequestId, signature);
        return scratch;
    }

    /// <summary>A root change computed on a copy: root N+1 waiting for offline signatures, or committed; the TUF library's refusal (it throws) changes nothing.</summary>
    private static Decision<RootSigned, SigningRequest> RootChange(TufRepository current, Func<TufRepository> change)
    {
        try
        {
            var scratch = change();
            return scratch.State.PendingRoot is { } request
                ? new Decision<RootSigned, SigningRequest>(Decision<RootSigned>.Unchanged, request)
                : new Decision<RootSigned, SigningRequest>(Decision<RootSigned>.Accept(Committed(current.State, scratch.State)), null);
        }
        catch (RepositoryException e)
        {
            return Decision<RootSigned, SigningRequest>.Refuse(e.Message);
        }
    }

    /// <summary>The event of a committed root N+1: the root, every tag the commit re-signed, and the unpublished chain if it was.</summary>
    private static RootSigned Committed(RepositoryState before, RepositoryState after) =>
        new(after.Roots[^1], after.Tags.Where(t => !ReferenceEquals(before.Tags.GetValueOrDefault(t.Key), t.Value)).ToDictionary(StringComparer.Ordinal),
            ReferenceEquals(before.Unpublished, after.Unpublished) ? null : after.Unpublished);

    public static RepositoryState Apply(RepositoryState state, RootSigned signed)
    {
        var tags = new Dictionary<string, TagState>(state.Tags);
        foreach (var (tag, tagState) in signed.Tags) tags[tag] = tagState;
        return state with { Roots = [.. state.Roots, signed.Root], Tags = tags, PendingRoot = null, Unpublished = signed.Unpublished ?? state.Unpublished };
    }

    /// <summary>The top-level roles whose threshold the loaded keys meet in the trusted root.</summary>
    public static IReadOnlyList<string> RolesOnline(TufRepository repository, IEnumerable<ISigner> signers)
    {
        var loaded = signers.Select(s => s.KeyId).ToHashSet(StringComparer.Ordinal);
        var root = repository.Root.Signed;
        return Role.TopLevel.Where(role => root.Roles[role].KeyIds.Count(loaded.Contains) >= root.Roles[role].Threshold).ToList();
    }

    /// <summary>Key ids listed by any role of the trusted root: the private keys still worth keeping.</summary>
    public static IReadOnlySet<string> KeyIdsInRoot(TufRepository repository) =>
        repository.Root.Signed.Roles.Values.SelectMany(r => r.KeyIds).ToHashSet(StringComparer.Ordinal);

    /// <summary>A pending request as the operator sees it: which keys may sign, which did, what is missing.</summary>
    public static PendingSigning Describe(TufRepository repository, SigningRequest request)
    {
        var version = (int)CanonicalJson.Parse(request.Payload)["version"]!;
        var signed = request.Signatures.Select(s => s.KeyId).ToList();
        var trusted = repository.Root.Signed;
        if (request.Role == Role.Root)
        {
            var next = SignedMetadata<RootMetadata>.ParseSigned(request.Payload, Role.Root);
            var old = trusted.RoleKeysOf(Role.Root);
            var @new = next.RoleKeysOf(Role.Root);
            var needs = $"root v{version} needs {Count(old, trusted.Keys)} of the current root keys [{Short(old.KeyIds)}] and {Count(@new, next.Keys)} of the new ones [{Short(@new.KeyIds)}]";
            return new PendingSigning(request.Id, request.Role, null, null, version, request.Payload, old.KeyIds.Union(@new.KeyIds).ToList(), signed, needs);

            string Count(RoleKeys keys, IReadOnlyDictionary<string, Key> keyMap) =>
                $"{ThresholdVerifier.CountValid(keys, keyMap, request.Payload, request.Signatures)}/{keys.Threshold}";
        }
        // The control plane does not delegate: every targets-type request is signed by the targets keys.
        var targets = trusted.RoleKeysOf(Role.Targets);
        var valid = ThresholdVerifier.CountValid(targets, trusted.Keys, request.Payload, request.Signatures);
        return new PendingSigning(request.Id, request.Role, request.Tag, request.View, version, request.Payload, targets.KeyIds, signed,
            $"{request.Role} of tag {request.Tag} view {request.View} v{version} needs {valid}/{targets.Threshold} signatures of the targets keys [{Short(targets.KeyIds)}]");
    }

    /// <summary>Key ids shortened to their first 8 hex digits, for one-line messages.</summary>
    public static string Short(IEnumerable<string> keyIds) => string.Join(", ", keyIds.Select(id => id[..Math.Min(8, id.Length)]));
}
