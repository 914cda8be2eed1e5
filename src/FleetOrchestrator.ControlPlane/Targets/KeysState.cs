using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Targets;

/// <summary>
/// The target registry's key decisions, without actors: root N+1 for a rotation, offline signatures applied to a
/// copy of the repository (a bad one throws and changes nothing), the event a committed root produces, and how a
/// pending request is described to the operator.
/// </summary>
public static class KeysState
{
    /// <summary>The roles whose key <c>pbm keys rotate-online</c> replaces.</summary>
    public static readonly IReadOnlyList<string> OnlineRoles = [Role.Targets, Role.Snapshot, Role.Timestamp];

    public const int MaxRootKeys = 8;

    /// <summary>
    /// A copy of the repository with root N+1 prepared (a root still waiting for signatures is dropped: the new request
    /// replaces it): committed when the loaded keys meet the old and the new root threshold, else pending in
    /// <see cref="RepositoryState.PendingRoot"/>. <paramref name="change"/> null: the same keys (a renewal).
    /// </summary>
    public static TufRepository PrepareRoot(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time, RoleKeyChange? change)
    {
        var scratch = TufRepository.Load(current.State with { PendingRoot = null }, signers, current.Options, time);
        if (change is null) scratch.UpdateRoot();
        else scratch.UpdateRoot(change);
        return scratch;
    }

    /// <summary>The root role of root N+1: the given public keys (JSON key objects), threshold 1; null when none are given.</summary>
    public static RoleKeyChange? RootKeysOf(PrepareRoot command)
    {
        if (command.RootKeys.Count == 0) return null;
        if (command.RootKeys.Count > MaxRootKeys) throw new RepositoryException($"give at most {MaxRootKeys} root keys, not {command.RootKeys.Count}");
        try
        {
            return new RoleKeyChange(Role.Root, command.RootKeys.Select(json => Key.Parse(json, Role.Root)).ToList(), 1);
        }
        catch (MetadataException e)
        {
            throw new RepositoryException($"invalid root key: {e.Message}");
        }
    }

    /// <summary>
    /// A copy of the repository with the signatures added to request <see cref="SubmitSignatures.RequestId"/> (root N+1
    /// is <paramref name="pendingRoot"/>, kept by the registry in memory); completes it when its thresholds are met.
    /// Throws on the first signature that is not by a key the request accepts or that does not verify.
    /// </summary>
    public static TufRepository Submit(TufRepository current, SigningRequest? pendingRoot, IEnumerable<ISigner> signers, TimeProvider time, SubmitSignatures command)
    {
        if (command.Signatures.Count == 0) throw new RepositoryException($"{command.RequestId}: no signature given");
        var scratch = TufRepository.Load(current.State with { PendingRoot = pendingRoot }, signers, current.Options, time);
        foreach (var signature in command.Signatures) scratch.SubmitSignature(command.RequestId, signature);
        return scratch;
    }

    /// <summary>The event of a committed root N+1: the root and every tag the commit re-signed.</summary>
    public static RootSigned Committed(RepositoryState before, RepositoryState after) =>
        new(after.Roots[^1], after.Tags.Where(t => !ReferenceEquals(before.Tags.GetValueOrDefault(t.Key), t.Value)).ToDictionary(StringComparer.Ordinal));

    public static RepositoryState Apply(RepositoryState state, RootSigned signed)
    {
        var tags = new Dictionary<string, TagState>(state.Tags);
        foreach (var (tag, tagState) in signed.Tags) tags[tag] = tagState;
        return state with { Roots = [.. state.Roots, signed.Root], Tags = tags, PendingRoot = null };
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
