using System.Text.Json.Nodes;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Repository;

/// <summary>
/// Everything a repository is, as plain serialisable records (private keys excluded): every root ever
/// signed, the tags with their views, and pending offline-signing requests. Signed metadata is kept as
/// the exact bytes served.
/// </summary>
public sealed record RepositoryState
{
    /// <summary>Raw <c>N.root.json</c> documents; index i holds version i + 1.</summary>
    public required IReadOnlyList<byte[]> Roots { get; init; }

    public required IReadOnlyDictionary<string, TagState> Tags { get; init; }

    /// <summary>Root N+1 waiting for offline signatures, if any.</summary>
    public SigningRequest? PendingRoot { get; init; }

    /// <summary>
    /// The one chain served to devices of every tag that has nothing published yet: its production view lists no targets
    /// and names no tag, so one signed copy serves any number of tag names (null until <see cref="TufRepository.SignUnpublished"/>).
    /// A tag created later starts at its versions, so the tag's first publication is above what such a device trusts.
    /// </summary>
    public TagState? Unpublished { get; init; }
}

/// <summary>
/// One device tag: its views (production and one per active wave) and the versions they all share,
/// so a device moving between views never sees a version go down.
/// </summary>
public sealed record TagState
{
    public required int TargetsVersion { get; init; }
    public required int SnapshotVersion { get; init; }
    public required int TimestampVersion { get; init; }
    public required IReadOnlyDictionary<string, ViewState> Views { get; init; }

    /// <summary>Targets (top-level and delegated) of every view at <see cref="TargetsVersion"/> + 1 waiting for offline signatures.</summary>
    public IReadOnlyList<SigningRequest>? PendingTargets { get; init; }

    /// <summary>
    /// Canonical JSON of the <c>delegations</c> object every view's targets.json carries (null: none). Kept as
    /// bytes so the state stays plain data; <see cref="TufRepository.DelegationsOf"/> reads it.
    /// </summary>
    public byte[]? Delegations { get; init; }
}

/// <summary>One view: its wanted targets (published by <see cref="TufRepository.Publish"/>), the targets its signed metadata lists, and that metadata.</summary>
public sealed record ViewState
{
    public required IReadOnlyDictionary<string, StoredTarget> Targets { get; init; }
    public IReadOnlyDictionary<string, StoredTarget>? PublishedTargets { get; init; }
    public byte[]? TargetsRaw { get; init; }
    public byte[]? SnapshotRaw { get; init; }
    public byte[]? TimestampRaw { get; init; }

    /// <summary>Signed metadata of each delegated role at the tag's targets version, by role name.</summary>
    public IReadOnlyDictionary<string, byte[]>? DelegatedRaw { get; init; }
}

/// <summary>A target file's bytes with the length and hashes metadata lists for it, and its <c>custom</c> data.</summary>
public sealed record StoredTarget(byte[] Content, IReadOnlyDictionary<string, string> Hashes, JsonObject? Custom)
{
    /// <summary>The delegated role whose metadata lists this target; null for the top-level targets role.</summary>
    public string? Delegate { get; init; }

    public TargetFile ToTargetFile() => new(Content.Length, Hashes, Custom?.DeepClone().AsObject());
}

/// <summary>
/// Metadata waiting for signatures from keys that are not loaded: <see cref="Payload"/> is the canonical
/// JSON of <c>signed</c> to sign (what <see cref="OfflineSigning.SignPayloadAsync"/> signs), with the
/// signatures accepted so far.
/// </summary>
public sealed record SigningRequest(string Id, string Role, string? Tag, string? View, byte[] Payload, IReadOnlyList<Signature> Signatures);
