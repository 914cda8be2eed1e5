using System.Text.Json.Nodes;
using FleetOrchestrator.Protocol;
using FleetOrchestrator.Publishing;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Targets;

// ---- commands and replies (a refused command is answered with Protocol.Decisions.Refused) ----------

/// <summary>
/// Adds a target file to the production view of every tag listed in <c>custom.tags</c>, then re-signs those
/// tags. Recording the same name with the same bytes again is answered as recorded and changes nothing.
/// </summary>
public sealed record RecordTarget(string Name, byte[] File, JsonObject Custom) : IFleetMessage
{
    public static RecordTarget From(PublishedTarget target) => new(target.Name, target.File, target.Custom.DeepClone().AsObject());
}

/// <summary>The target is in the signed metadata of <see cref="Tags"/> at targets version <see cref="TargetsVersion"/> (per tag).</summary>
public sealed record TargetRecorded(string Name, IReadOnlyDictionary<string, int> TargetsVersionByTag) : IFleetMessage;

/// <summary>
/// Opens the view of wave <see cref="Wave"/> on <see cref="Tag"/>: production plus the target whose
/// <c>custom.version</c> is <see cref="Version"/> (recorded for any tag; the tag is added to its <c>custom.tags</c>
/// so devices of <see cref="Tag"/> select it). All views of the tag are re-signed at the next version.
/// </summary>
public sealed record OpenWaveView(string Tag, string Wave, string Version) : IFleetMessage;

/// <summary>The wave's target joins the production view of the tag and the wave's view is closed.</summary>
public sealed record PromoteWaveView(string Tag, string Wave) : IFleetMessage;

/// <summary>The wave's view is closed; production is unchanged.</summary>
public sealed record CloseWaveView(string Tag, string Wave) : IFleetMessage;

/// <summary>
/// The wave's view is closed and its target withdrawn from the tag (<c>waves abort --rollback</c>): the target joins the
/// production view marked <c>custom.withdrawn</c>, which tells the devices running it to go back to the newest production
/// target — a downgrade that signed metadata authorises, where a device never downgrades on its own. Refused when
/// production has no other target to go back to.
/// </summary>
public sealed record WithdrawWaveView(string Tag, string Wave) : IFleetMessage;

/// <summary>The change is signed: the tag's views are at <see cref="TargetsVersion"/>; <see cref="Target"/> is the wave's target.</summary>
public sealed record WaveViewChanged(string Tag, string Wave, string Target, int TargetsVersion) : IFleetMessage;

/// <summary>
/// Re-signs every view of <see cref="Tag"/> at the next shared version, content unchanged. Sent after devices moved
/// to another view: a TUF client keeps its trusted metadata while the timestamp version it is served does not
/// rise, so a device handed a view at the version it already trusts would never read that view.
/// Answered with <see cref="TagViewsAdvanced"/> or <see cref="Protocol.Decisions.Refused"/> (no such tag).
/// </summary>
public sealed record AdvanceTagViews(string Tag) : IFleetMessage;

/// <summary>Every view of <see cref="Tag"/> is now signed at <see cref="TargetsVersion"/>.</summary>
public sealed record TagViewsAdvanced(string Tag, int TargetsVersion) : IFleetMessage;

/// <summary>
/// Adds the target(s) whose <c>custom.version</c> is <see cref="Version"/> to the production view of each of
/// <see cref="Tags"/> (fioctl <c>targets tag</c>); answered with <see cref="TargetTagsChanged"/> or <see cref="Protocol.Decisions.Refused"/>.
/// </summary>
public sealed record TagTargets(string Version, IReadOnlyList<string> Tags) : IFleetMessage;

/// <summary>Removes the target(s) of <see cref="Version"/> from the production view of <see cref="Tag"/> (fioctl <c>targets prune</c>).</summary>
public sealed record PruneTargets(string Version, string Tag) : IFleetMessage;

/// <summary>
/// <see cref="Targets"/> joined or left the production views of <see cref="Tags"/> (empty: they already were where
/// asked, nothing changed). <see cref="TargetsVersionByTag"/>: every tag re-signed, also those whose copies only
/// had <c>custom.tags</c> updated.
/// </summary>
public sealed record TargetTagsChanged(string Version, IReadOnlyList<string> Targets, IReadOnlyList<string> Tags, IReadOnlyDictionary<string, int> TargetsVersionByTag) : IFleetMessage;

/// <summary>Asks for the current <see cref="RepositoryMetadata"/> (what a gateway loads when it starts).</summary>
public sealed record GetRepositoryMetadata : IFleetMessage
{
    public static GetRepositoryMetadata Instance { get; } = new();
}

/// <summary>
/// Signs the one chain served for every tag with nothing published (<see cref="RepositoryState.Unpublished"/>: signed empty
/// targets, snapshot and timestamp) unless it is signed already. A gateway sends it the first time a device of such a tag
/// asks for metadata; answered with <see cref="RepositoryMetadata"/> carrying the chain, or <see cref="Protocol.Decisions.Refused"/>
/// when the online keys cannot sign it (the targets key is offline).
/// </summary>
public sealed record SignUnpublishedView : IFleetMessage
{
    public static SignUnpublishedView Instance { get; } = new();
}

/// <summary>
/// Everything a gateway serves: every root, and per published view its current signed metadata and target
/// files. Sent on <see cref="TargetsTopics.Metadata"/> after every change and on request.
/// </summary>
/// <remarks>
/// <paramref name="Revision"/> is the registry journal's sequence number when this was taken: a reader that gets the
/// current state by Ask while also subscribed keeps the higher one, whichever arrives last. <paramref name="Unpublished"/>:
/// the chain served to devices of any tag with no published view (tag <see cref="ViewMetadata.AnyTag"/>), once signed.
/// </remarks>
public sealed record RepositoryMetadata(long Revision, IReadOnlyList<byte[]> Roots, IReadOnlyList<ViewMetadata> Views, ViewMetadata? Unpublished = null) : IFleetMessage;

/// <summary>The signed metadata of one view of one tag, as served under the standard consistent-snapshot names.</summary>
public sealed record ViewMetadata(
    string Tag,
    string View,
    byte[] Timestamp,
    int SnapshotVersion,
    byte[] Snapshot,
    int TargetsVersion,
    byte[] Targets,
    IReadOnlyDictionary<string, byte[]> TargetFiles)
{
    /// <summary>The tag of <see cref="RepositoryMetadata.Unpublished"/>: no real tag (a tag name cannot be "*"), it serves all of them.</summary>
    public const string AnyTag = "*";
}

// ---- persisted events and snapshot -----------------------------------------------------------------

/// <summary>The repository was created from the factory's root v1 (written by <c>fleet-node init</c>).</summary>
public sealed record RepositoryInitialized(byte[] Root) : IFleetMessage;

/// <summary>A tag after a change: its views, targets and the metadata signed for them.</summary>
public sealed record TagSigned(string Tag, TagState State) : IFleetMessage;

/// <summary>The chain served for tags with nothing published was signed or re-signed (<see cref="RepositoryState.Unpublished"/>).</summary>
public sealed record UnpublishedViewSigned(TagState State) : IFleetMessage;

/// <summary>The whole repository state, saved every few events so recovery replays few events.</summary>
public sealed record TargetRegistrySnapshot(RepositoryState State) : IFleetMessage;

public static class TargetsTopics
{
    /// <summary>Distributed pub/sub topic carrying <see cref="RepositoryMetadata"/>.</summary>
    public const string Metadata = "tuf-metadata";
}
