using FleetOrchestrator.Protocol;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Targets;

// Key changes of the target registry (pbm keys). Offline keys never reach the registry: it prepares the canonical
// payload, the operator's pbm signs it locally, and only signatures come back.

/// <summary>
/// Prepares root N+1 whose root role is <see cref="RootKeys"/> (public key objects as JSON, threshold 1; empty: the
/// current root keys, a renewal). The registry signs with the root keys it holds and answers <see cref="KeysAnswer"/>:
/// committed, or with the request that still needs offline signatures (kept in memory until signed or replaced).
/// </summary>
public sealed record PrepareRoot(IReadOnlyList<string> RootKeys) : IFleetMessage;

/// <summary>
/// Replaces the key of an online role (snapshot, timestamp, targets; root too when this registry holds the root key)
/// with one the registry generates and stores with its online keys; root N+1 lists it, and when root is offline the
/// answer carries root N+1 to sign offline. The old key is dropped once root N+1 is committed.
/// </summary>
public sealed record RotateOnlineKey(string Role) : IFleetMessage;

/// <summary>Signatures made offline over the payload of pending request <see cref="RequestId"/>.</summary>
public sealed record SubmitSignatures(string RequestId, IReadOnlyList<Signature> Signatures) : IFleetMessage;

/// <summary>Asks for every request waiting for offline signatures (answered with <see cref="KeysAnswer"/>).</summary>
public sealed record GetSigningRequests : IFleetMessage
{
    public static GetSigningRequests Instance { get; } = new();
}

/// <summary>
/// A request waiting for offline signatures: <see cref="Payload"/> is the canonical JSON to sign, <see cref="KeyIds"/>
/// the keys that may sign it, <see cref="SignedBy"/> those that did, <see cref="Needs"/> what is still missing.
/// </summary>
public sealed record PendingSigning(string Id, string Role, string? Tag, string? View, int Version, byte[] Payload,
    IReadOnlyList<string> KeyIds, IReadOnlyList<string> SignedBy, string Needs);

/// <summary>
/// What a key command did (<see cref="Summary"/>, one line), and the requests that wait for offline signatures
/// (<see cref="Pending"/>; empty when nothing does). <see cref="OnlineRoles"/>: the roles whose keys the registry holds.
/// </summary>
public sealed record KeysAnswer(string Summary, IReadOnlyList<PendingSigning> Pending, IReadOnlyList<string> OnlineRoles) : IFleetMessage;

/// <summary>
/// Persisted: root N+1 (<see cref="Root"/>, signed by old and new root keys) and the tags re-signed with it, with the
/// chain served for unpublished tags when it was re-signed too (null: unchanged).
/// </summary>
public sealed record RootSigned(byte[] Root, IReadOnlyDictionary<string, TagState> Tags, TagState? Unpublished = null) : IFleetMessage;
