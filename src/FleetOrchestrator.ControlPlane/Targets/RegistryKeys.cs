using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Targets;

/// <summary>
/// Root N+1 waiting for offline signatures, with the online key it introduces (if any) and what it does. Kept in
/// memory only: until it is signed nothing has changed, so a restart simply forgets it.
/// </summary>
public sealed record PendingRootChange(SigningRequest Request, KeyPair? NewKey, string What);

/// <summary>
/// The private keys the target registry signs with, and the root N+1 that waits for offline signatures: which keys
/// sign a change, what the operator is shown as pending, and which keys are kept once a root is committed. Owned by
/// <see cref="TargetRegistryActor"/>, which does the persisting and the key files.
/// </summary>
public sealed class RegistryKeys(IEnumerable<ISigner> signers)
{
    private readonly List<ISigner> _signers = [.. signers];

    public IReadOnlyList<ISigner> Signers => _signers;

    public PendingRootChange? PendingRoot { get; private set; }

    /// <summary>The loaded keys, with <paramref name="newKey"/> that a root change introduces.</summary>
    public IReadOnlyList<ISigner> With(KeyPair? newKey) => newKey is null ? _signers : [.. _signers, newKey];

    /// <summary>Root N+1 now waits for offline signatures (replacing any root that waited before).</summary>
    public void Waiting(PendingRootChange change) => PendingRoot = change;

    /// <summary>
    /// Root N+1 is committed in <paramref name="repository"/>: its new key signs from now on, and keys no role of it
    /// lists are dropped. Returns the key ids to keep.
    /// </summary>
    public IReadOnlySet<string> Committed(KeyPair? newKey, TufRepository repository)
    {
        PendingRoot = null;
        if (newKey is not null) _signers.Add(newKey);
        var keep = KeysDecisions.KeyIdsInRoot(repository);
        _signers.RemoveAll(s => !keep.Contains(s.KeyId));
        return keep;
    }

    /// <summary>Root N+1 in memory and the persisted targets requests, as the operator sees them.</summary>
    public IReadOnlyList<PendingSigning> Pending(TufRepository repository) =>
        [.. PendingRoot is { } root ? [KeysDecisions.Describe(repository, root.Request)] : Array.Empty<PendingSigning>(),
         .. repository.PendingRequests.Select(r => KeysDecisions.Describe(repository, r))];

    public KeysAnswer Answer(TufRepository repository, string summary) => new(summary, Pending(repository), KeysDecisions.RolesOnline(repository, _signers));
}
