using System.Text.Json;
using System.Text.Json.Nodes;
using FleetOrchestrator.Protocol;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Targets;

/// <summary>
/// The target registry's decisions, without actors: validating a target, applying it to a copy of the repository (so a
/// refusal leaves the live state as it was), the events that result with the answer they give, and replaying them.
/// Each command decision returns a <see cref="Decision{TEvent, TAnswer}"/>: its answer carries the versions the change
/// signs, read from its events.
/// </summary>
public static class TargetsDecisions
{
    public const int MaxTargetFileBytes = 1024 * 1024;
    public const int MaxCustomBytes = 64 * 1024;
    public const int MaxTagsPerTarget = 16;

    /// <summary>Adds the target to the production view of its tags; no events when every tag has it already.</summary>
    public static Decision<TagSigned, TargetRecorded> Record(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time, RecordTarget command) =>
        Refusing(() =>
        {
            if (TagsProblem(command, out var tags) is { } problem) return Refuse<TargetRecorded>(problem);
            var scratch = Scratch(current, signers, time);
            var events = new List<TagSigned>();
            foreach (var tag in tags)
            {
                var production = ProductionOf(current.State, tag);
                if (production?.Targets.GetValueOrDefault(command.Name) is { } existing)
                {
                    if (existing.Content.AsSpan().SequenceEqual(command.File)) continue;
                    return Refuse<TargetRecorded>($"tag {tag} already has a target \"{command.Name}\" with different content ({existing.Content.Length} bytes, sha256 {existing.Hashes[Hashes.Sha256]}); targets are immutable, publish a new version");
                }
                if (production is null) scratch.AddView(tag, TufRepository.ProductionView);
                scratch.AddTarget(tag, TufRepository.ProductionView, command.Name, command.File, command.Custom);
                events.Add(Sign(scratch, tag));
            }
            return Decision<TagSigned, TargetRecorded>.Accept(events, new TargetRecorded(command.Name, tags.ToDictionary(t => t, t => scratch.State.Tags[t].TargetsVersion)));
        });

    /// <summary>Opens a wave's view (see <see cref="OpenWaveView"/>); the answer names the wave's target.</summary>
    public static Decision<TagSigned, WaveViewChanged> OpenWave(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time, OpenWaveView command) =>
        Refusing(() =>
        {
            if (command.Wave == TufRepository.ProductionView) return Refuse<WaveViewChanged>($"\"{command.Wave}\" is the production view, not a wave");
            if (VersionProblem(current.State, command.Version, out var targets) is { } problem) return Refuse<WaveViewChanged>(problem);
            var (name, target) = targets[0];
            var custom = target.Custom?.DeepClone().AsObject() ?? new JsonObject();
            var tags = custom["tags"] as JsonArray ?? [];
            if (!tags.Any(t => t?.GetValue<string>() == command.Tag)) tags.Add(command.Tag);
            custom["tags"] = tags.DeepClone();
            var scratch = Scratch(current, signers, time);
            if (!scratch.State.Tags.ContainsKey(command.Tag)) scratch.AddView(command.Tag, TufRepository.ProductionView);
            scratch.AddView(command.Tag, command.Wave);
            scratch.AddTarget(command.Tag, command.Wave, name, target.Content, custom);
            return WaveViewSigned(Sign(scratch, command.Tag), command.Wave, name);
        });

    /// <summary>
    /// Ends a wave's view (see <see cref="WaveViewEnd"/>); the answer names the wave's target(s). Withdrawing is refused
    /// when production holds no target the devices could go back to.
    /// </summary>
    public static Decision<TagSigned, WaveViewChanged> EndWave(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time, string tag, string wave, WaveViewEnd end) =>
        Refusing(() =>
        {
            var views = current.State.Tags.GetValueOrDefault(tag)?.Views;
            if (views?.GetValueOrDefault(wave) is not { } waveView || wave == TufRepository.ProductionView)
                return Refuse<WaveViewChanged>($"tag {tag} has no wave view \"{wave}\"");
            var production = views[TufRepository.ProductionView];
            var added = waveView.Targets.Where(t => !production.Targets.ContainsKey(t.Key)).ToList();
            if (end == WaveViewEnd.Withdraw && !production.Targets.Values.Any(t => !IsWithdrawn(t)))
                return Refuse<WaveViewChanged>($"tag {tag} has no production target to roll back to; abort without --rollback leaves the devices where they are");
            var scratch = Scratch(current, signers, time);
            foreach (var (name, target) in end == WaveViewEnd.Close ? [] : added)
                scratch.AddTarget(tag, TufRepository.ProductionView, name, target.Content, end == WaveViewEnd.Withdraw ? Withdrawn(target.Custom, wave) : target.Custom);
            scratch.RemoveView(tag, wave);
            return WaveViewSigned(Sign(scratch, tag), wave, string.Join(", ", added.Select(t => t.Key)));
        });

    private static Decision<TagSigned, WaveViewChanged> WaveViewSigned(TagSigned signed, string wave, string target) =>
        Decision<TagSigned, WaveViewChanged>.Accept([signed], new WaveViewChanged(signed.Tag, wave, target, signed.State.TargetsVersion));

    private static JsonObject Withdrawn(JsonObject? custom, string wave)
    {
        var copy = custom?.DeepClone().AsObject() ?? new JsonObject();
        copy[TargetCustom.Withdrawn] = $"wave {wave} aborted with rollback";
        return copy;
    }

    private static bool IsWithdrawn(StoredTarget target) => TargetCustom.WithdrawnReason(target.Custom) is not null;

    /// <summary>
    /// Adds the target(s) of a version to the production view of each tag of <paramref name="command"/> (creating new
    /// tags); none when every tag has them already. Open waves of those tags keep the view they were opened with.
    /// </summary>
    public static Decision<TagSigned, TargetTagsChanged> Tag(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time, TagTargets command) =>
        Refusing(() =>
        {
            var tags = command.Tags.Distinct(StringComparer.Ordinal).ToList();
            if (tags.Count is 0 or > MaxTagsPerTarget) return Refuse<TargetTagsChanged>($"give 1..{MaxTagsPerTarget} tags, not {tags.Count}");
            if (VersionProblem(current.State, command.Version, out var targets) is { } problem) return Refuse<TargetTagsChanged>(problem);
            var scratch = Scratch(current, signers, time);
            var added = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var (name, target) in targets)
            foreach (var tag in tags)
            {
                if (ProductionOf(current.State, tag)?.Targets.GetValueOrDefault(name) is { } existing)
                {
                    if (existing.Content.AsSpan().SequenceEqual(target.Content)) continue;
                    return Refuse<TargetTagsChanged>($"tag {tag} already has a different target \"{name}\" (sha256 {existing.Hashes[Hashes.Sha256]}); targets are immutable");
                }
                if (!scratch.State.Tags.ContainsKey(tag)) scratch.AddView(tag, TufRepository.ProductionView);
                scratch.AddTarget(tag, TufRepository.ProductionView, name, target.Content, target.Custom);
                added.Add(tag);
            }
            return SignTagChanges(scratch, command.Version, targets, added);
        });

    /// <summary>
    /// Removes the target(s) of a version from the production view of a tag. Refused while an open wave's view of the
    /// tag lists them (its devices would keep seeing them); pruning a tag's last or latest target is allowed: devices
    /// keep what they run, as they never downgrade.
    /// </summary>
    public static Decision<TagSigned, TargetTagsChanged> Prune(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time, PruneTargets command) =>
        Refusing(() =>
        {
            if (current.State.Tags.GetValueOrDefault(command.Tag) is not { } tagState)
                return Refuse<TargetTagsChanged>($"no tag \"{command.Tag}\"; tags: [{string.Join(", ", current.State.Tags.Keys.Order(StringComparer.Ordinal))}]");
            foreach (var (view, viewState) in tagState.Views.Where(v => v.Key != TufRepository.ProductionView))
                if (OfVersion(viewState.Targets, command.Version).FirstOrDefault() is { Key: { } held })
                    return Refuse<TargetTagsChanged>($"wave {view} of tag {command.Tag} lists {held} (version {command.Version}); complete, cancel or abort the wave first");
            var production = tagState.Views[TufRepository.ProductionView].Targets;
            var targets = OfVersion(production, command.Version).Select(t => (t.Key, t.Value)).ToList();
            if (targets.Count == 0)
                return Refuse<TargetTagsChanged>($"tag {command.Tag} has no target with version {command.Version}; its versions: [{string.Join(", ", production.Values.Select(VersionOf).OfType<string>().Distinct())}]");
            var scratch = Scratch(current, signers, time);
            foreach (var (name, _) in targets) scratch.RemoveTarget(command.Tag, TufRepository.ProductionView, name);
            return SignTagChanges(scratch, command.Version, targets, [command.Tag]);
        });

    /// <summary>
    /// After targets joined or left the production views of <paramref name="changed"/>: rewrites their <c>custom.tags</c>
    /// in every production view holding them to exactly those views' tags (the order they had, new ones last), then
    /// signs each tag that changed.
    /// </summary>
    private static Decision<TagSigned, TargetTagsChanged> SignTagChanges(
        TufRepository scratch, string version, IReadOnlyList<(string Name, StoredTarget Target)> targets, IReadOnlyCollection<string> changed)
    {
        var toSign = new SortedSet<string>(changed, StringComparer.Ordinal);
        foreach (var (name, target) in targets)
        {
            var holders = scratch.State.Tags.Where(t => t.Value.Views[TufRepository.ProductionView].Targets.ContainsKey(name)).Select(t => t.Key).Order(StringComparer.Ordinal).ToList();
            if (holders.Count > MaxTagsPerTarget) return Refuse<TargetTagsChanged>($"target {name} would be in {holders.Count} tags; at most {MaxTagsPerTarget}");
            var before = Strings(target.Custom?["tags"]);
            var tags = new JsonArray([.. before.Where(holders.Contains).Concat(holders.Except(before)).Select(t => (JsonNode?)t)]);
            foreach (var holder in holders)
            {
                var held = ProductionOf(scratch.State, holder)!.Targets[name];
                if (JsonNode.DeepEquals(held.Custom?["tags"], tags)) continue;
                var custom = held.Custom?.DeepClone().AsObject() ?? new JsonObject();
                custom["tags"] = tags.DeepClone();
                scratch.AddTarget(holder, TufRepository.ProductionView, name, held.Content, custom);
                toSign.Add(holder);
            }
        }
        var events = toSign.Select(tag => Sign(scratch, tag)).ToList();
        return Decision<TagSigned, TargetTagsChanged>.Accept(events, new TargetTagsChanged(version, targets.Select(t => t.Name).ToList(),
            changed.Order(StringComparer.Ordinal).ToList(), events.ToDictionary(e => e.Tag, e => e.State.TargetsVersion)));
    }

    /// <summary>Re-signs every view of <paramref name="tag"/> at the next version (see <see cref="AdvanceTagViews"/>).</summary>
    public static Decision<TagSigned, TagViewsAdvanced> AdvanceViews(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time, string tag) =>
        Refusing(() =>
        {
            if (!current.State.Tags.ContainsKey(tag)) return Refuse<TagViewsAdvanced>($"no tag {tag}");
            var signed = Sign(Scratch(current, signers, time), tag);
            return Decision<TagSigned, TagViewsAdvanced>.Accept([signed], new TagViewsAdvanced(tag, signed.State.TargetsVersion));
        });

    /// <summary>
    /// Why no target of <paramref name="version"/> can be used, or null with <paramref name="targets"/>: every recorded
    /// target whose <c>custom.version</c> it is, once per name (production views first); refused when withdrawn.
    /// </summary>
    private static string? VersionProblem(RepositoryState state, string version, out IReadOnlyList<(string Name, StoredTarget Target)> targets)
    {
        targets = state.Tags.Values.SelectMany(t => t.Views.OrderBy(v => v.Key != TufRepository.ProductionView))
            .SelectMany(v => OfVersion(v.Value.Targets, version))
            .DistinctBy(t => t.Key, StringComparer.Ordinal).Select(t => (t.Key, t.Value)).ToList();
        if (targets.Count == 0) return $"no recorded target has version {version}";
        // A withdrawn target stays withdrawn in every tag: devices that rolled back must not be offered it again.
        var withdrawn = state.Tags.Values.Select(t => t.Views[TufRepository.ProductionView])
            .SelectMany(v => OfVersion(v.Targets, version)).FirstOrDefault(t => IsWithdrawn(t.Value));
        return withdrawn.Value is { } target
            ? $"{withdrawn.Key} (version {version}) is withdrawn ({TargetCustom.WithdrawnReason(target.Custom)}); publish a new version"
            : null;
    }

    private static IEnumerable<KeyValuePair<string, StoredTarget>> OfVersion(IReadOnlyDictionary<string, StoredTarget> targets, string version) =>
        targets.Where(t => VersionOf(t.Value) == version).OrderBy(t => t.Key, StringComparer.Ordinal);

    private static string? VersionOf(StoredTarget target) =>
        target.Custom?["version"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static IReadOnlyList<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Where(t => t?.GetValueKind() == JsonValueKind.String).Select(t => t!.GetValue<string>()).ToList() : [];

    private static ViewState? ProductionOf(RepositoryState state, string tag) =>
        state.Tags.GetValueOrDefault(tag)?.Views.GetValueOrDefault(TufRepository.ProductionView);

    private static TufRepository Scratch(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time) =>
        TufRepository.Load(current.State, signers, current.Options, time);

    /// <summary>
    /// The event of signing every view of <paramref name="tag"/> at the next version. With the targets key offline the
    /// tag's targets wait in the event (persisted) for <c>pbm keys sign-targets</c>; devices keep its last signed metadata.
    /// </summary>
    private static TagSigned Sign(TufRepository scratch, string tag)
    {
        scratch.Publish(tag);
        return new TagSigned(tag, scratch.State.Tags[tag]);
    }

    /// <summary>
    /// Re-signs roles past the refresh margin (<see cref="RepositoryOptions.RefreshWhenRemaining"/>); the events: a
    /// <see cref="TagSigned"/> per tag re-signed, and <see cref="UnpublishedViewSigned"/> when the unpublished chain was.
    /// </summary>
    public static IReadOnlyList<IFleetMessage> RefreshExpiring(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time)
    {
        var scratch = Scratch(current, signers, time);
        IReadOnlyList<IFleetMessage> tags = scratch.RefreshExpiring().Select(r => r.Tag).Distinct()
            .Select(tag => new TagSigned(tag, scratch.State.Tags[tag])).ToList();
        return ReferenceEquals(scratch.State.Unpublished, current.State.Unpublished) ? tags : [.. tags, new UnpublishedViewSigned(scratch.State.Unpublished!)];
    }

    /// <summary>
    /// Signs the chain served for tags with nothing published, once: no events when it is signed already (the refresh keeps
    /// it current); refused when the online keys cannot sign it.
    /// </summary>
    public static Decision<UnpublishedViewSigned> SignUnpublished(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time)
    {
        if (current.State.Unpublished is not null) return Decision<UnpublishedViewSigned>.Unchanged;
        var scratch = Scratch(current, signers, time);
        try
        {
            scratch.SignUnpublished();
        }
        catch (RepositoryException e)
        {
            return Decision<UnpublishedViewSigned>.Refuse($"tags with nothing published get no signed empty repository: {e.Message}");
        }
        return Decision<UnpublishedViewSigned>.Accept(new UnpublishedViewSigned(scratch.State.Unpublished!));
    }

    /// <summary>What is wrong with the target's size or <c>custom.tags</c> (a non-empty array of distinct tag names), or null with its <paramref name="tags"/>.</summary>
    private static string? TagsProblem(RecordTarget command, out IReadOnlyList<string> tags)
    {
        tags = [];
        if (command.File.Length is 0 or > MaxTargetFileBytes)
            return $"target {command.Name}: file is {command.File.Length} bytes; expected 1..{MaxTargetFileBytes}";
        var customBytes = JsonSerializer.SerializeToUtf8Bytes(command.Custom).Length;
        if (customBytes > MaxCustomBytes)
            return $"target {command.Name}: custom is {customBytes} bytes, over the {MaxCustomBytes}-byte limit";
        if (command.Custom["tags"] is not JsonArray { Count: > 0 and <= MaxTagsPerTarget } array
            || array.Any(t => t?.GetValueKind() != JsonValueKind.String))
            return $"target {command.Name}: custom.tags must be an array of 1..{MaxTagsPerTarget} strings, found {command.Custom["tags"]?.ToJsonString() ?? "nothing"}";
        tags = array.Select(t => t!.GetValue<string>()).ToList();
        return tags.Distinct(StringComparer.Ordinal).Count() == tags.Count ? null : $"target {command.Name}: custom.tags lists a tag twice: [{string.Join(", ", tags)}]";
    }

    private static Decision<TagSigned, TAnswer> Refuse<TAnswer>(string reason) => Decision<TagSigned, TAnswer>.Refuse(reason);

    /// <summary>The TUF library refuses what breaks its rules (a bad tag name, a view that exists) by throwing; that is a refusal too.</summary>
    private static Decision<TagSigned, TAnswer> Refusing<TAnswer>(Func<Decision<TagSigned, TAnswer>> decide)
    {
        try
        {
            return decide();
        }
        catch (RepositoryException e)
        {
            return Refuse<TAnswer>(e.Message);
        }
    }

    public static RepositoryState Initial(byte[] root) => new() { Roots = [root], Tags = new Dictionary<string, TagState>() };

    public static RepositoryState Apply(RepositoryState state, TagSigned signed) =>
        state with { Tags = new Dictionary<string, TagState>(state.Tags) { [signed.Tag] = signed.State } };

    public static RepositoryState Apply(RepositoryState state, UnpublishedViewSigned signed) => state with { Unpublished = signed.State };

    /// <summary>Applies an event of <see cref="RefreshExpiring"/> or <see cref="SignUnpublished"/>.</summary>
    public static RepositoryState Apply(RepositoryState state, IFleetMessage signed) => signed switch
    {
        TagSigned tag => Apply(state, tag),
        UnpublishedViewSigned unpublished => Apply(state, unpublished),
        _ => throw new ArgumentException($"not a target registry signing event: {signed.GetType().Name}", nameof(signed)),
    };

    /// <summary>What gateways serve: every root, each published view's current metadata and target files, and the unpublished chain.</summary>
    public static RepositoryMetadata MetadataOf(RepositoryState state, long revision)
    {
        var views = new List<ViewMetadata>();
        foreach (var (tag, tagState) in state.Tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        foreach (var view in tagState.Views.Keys.Order(StringComparer.Ordinal))
            if (ViewMetadataOf(tag, view, tagState) is { } metadata) views.Add(metadata);
        var unpublished = state.Unpublished is { } chain ? ViewMetadataOf(ViewMetadata.AnyTag, TufRepository.ProductionView, chain) : null;
        return new RepositoryMetadata(revision, state.Roots, views, unpublished);
    }

    /// <summary>The signed files of one view, or null while it is not signed.</summary>
    private static ViewMetadata? ViewMetadataOf(string tag, string view, TagState tagState)
    {
        if (tagState.Views[view] is not { TimestampRaw: { } timestamp, SnapshotRaw: { } snapshot, TargetsRaw: { } targets } viewState) return null;
        var files = (viewState.PublishedTargets ?? new Dictionary<string, StoredTarget>())
            .ToDictionary(t => t.Key, t => t.Value.Content, StringComparer.Ordinal);
        return new ViewMetadata(tag, view, timestamp, tagState.SnapshotVersion, snapshot, tagState.TargetsVersion, targets, files);
    }
}

/// <summary>How a wave's view ends: its target joins production (complete), nothing changes (cancel, abort), or its target is withdrawn (abort --rollback).</summary>
public enum WaveViewEnd { Promote, Close, Withdraw }
