using System.Text.Json;
using System.Text.Json.Nodes;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Targets;

/// <summary>
/// The target registry's decisions, without actors: validating a target, applying it to a copy of the
/// repository (so a failure leaves the live state as it was), the events that result, and replaying them.
/// </summary>
public static class TargetsState
{
    public const int MaxTargetFileBytes = 1024 * 1024;
    public const int MaxCustomBytes = 64 * 1024;
    public const int MaxTagsPerTarget = 16;

    /// <summary>The events recording <paramref name="command"/> produces, or none when it is already recorded.</summary>
    public static IReadOnlyList<TagSigned> Record(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time, RecordTarget command)
    {
        var tags = TagsOf(command);
        var scratch = Scratch(current, signers, time);
        var events = new List<TagSigned>();
        foreach (var tag in tags)
        {
            var production = current.State.Tags.GetValueOrDefault(tag)?.Views.GetValueOrDefault(TufRepository.ProductionView);
            if (production?.Targets.GetValueOrDefault(command.Name) is { } existing)
            {
                if (existing.Content.AsSpan().SequenceEqual(command.File)) continue;
                throw new TargetRejectedException($"tag {tag} already has a target \"{command.Name}\" with different content ({existing.Content.Length} bytes, sha256 {existing.Hashes[Hashes.Sha256]}); targets are immutable, publish a new version");
            }
            if (production is null) scratch.AddView(tag, TufRepository.ProductionView);
            scratch.AddTarget(tag, TufRepository.ProductionView, command.Name, command.File, command.Custom);
            events.Add(Sign(scratch, tag));
        }
        return events;
    }

    /// <summary>The events opening a wave's view (see <see cref="OpenWaveView"/>), and the wave's target name.</summary>
    public static (IReadOnlyList<TagSigned> Events, string Target) OpenWave(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time, OpenWaveView command)
    {
        if (command.Wave == TufRepository.ProductionView) throw new TargetRejectedException($"\"{command.Wave}\" is the production view, not a wave");
        var (name, target) = FindByVersion(current.State, command.Version)
            ?? throw new TargetRejectedException($"no recorded target has version {command.Version}");
        var custom = target.Custom?.DeepClone().AsObject() ?? new JsonObject();
        var tags = custom["tags"] as JsonArray ?? [];
        if (!tags.Any(t => t?.GetValue<string>() == command.Tag)) tags.Add(command.Tag);
        custom["tags"] = tags.DeepClone();
        var scratch = Scratch(current, signers, time);
        if (!scratch.State.Tags.ContainsKey(command.Tag)) scratch.AddView(command.Tag, TufRepository.ProductionView);
        scratch.AddView(command.Tag, command.Wave);
        scratch.AddTarget(command.Tag, command.Wave, name, target.Content, custom);
        return ([Sign(scratch, command.Tag)], name);
    }

    /// <summary>The events of promoting (production gets the wave's target) or closing a wave's view, and the wave's target name.</summary>
    public static (IReadOnlyList<TagSigned> Events, string Target) EndWave(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time, string tag, string wave, bool promote)
    {
        var views = current.State.Tags.GetValueOrDefault(tag)?.Views;
        if (views?.GetValueOrDefault(wave) is not { } waveView || wave == TufRepository.ProductionView)
            throw new TargetRejectedException($"tag {tag} has no wave view \"{wave}\"");
        var production = views[TufRepository.ProductionView];
        var added = waveView.Targets.Where(t => !production.Targets.ContainsKey(t.Key)).ToList();
        var scratch = Scratch(current, signers, time);
        if (promote)
            foreach (var (name, target) in added) scratch.AddTarget(tag, TufRepository.ProductionView, name, target.Content, target.Custom);
        scratch.RemoveView(tag, wave);
        return ([Sign(scratch, tag)], string.Join(", ", added.Select(t => t.Key)));
    }

    private static (string Name, StoredTarget Target)? FindByVersion(RepositoryState state, string version) =>
        state.Tags.Values.SelectMany(t => t.Views.Values).SelectMany(v => v.Targets)
            .Where(t => t.Value.Custom?["version"] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == version)
            .Select(t => ((string, StoredTarget)?)(t.Key, t.Value)).FirstOrDefault();

    private static TufRepository Scratch(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time) =>
        TufRepository.Load(current.State, signers, current.Options, time);

    private static TagSigned Sign(TufRepository scratch, string tag) =>
        scratch.Publish(tag).Count > 0
            ? throw new TargetRejectedException($"tag {tag}: the targets key is not loaded on this node, and signing targets offline is not supported by the registry yet")
            : new TagSigned(tag, scratch.State.Tags[tag]);

    /// <summary>Re-signs roles past the refresh margin (<see cref="RepositoryOptions.RefreshWhenRemaining"/>); the events for the tags re-signed.</summary>
    public static IReadOnlyList<TagSigned> RefreshExpiring(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time)
    {
        var scratch = Scratch(current, signers, time);
        return scratch.RefreshExpiring().Select(r => r.Tag).Distinct()
            .Select(tag => new TagSigned(tag, scratch.State.Tags[tag])).ToList();
    }

    /// <summary>The tags of a target: <c>custom.tags</c>, a non-empty array of distinct tag names, after the size checks.</summary>
    public static IReadOnlyList<string> TagsOf(RecordTarget command)
    {
        if (command.File.Length is 0 or > MaxTargetFileBytes)
            throw new TargetRejectedException($"target {command.Name}: file is {command.File.Length} bytes; expected 1..{MaxTargetFileBytes}");
        var customBytes = JsonSerializer.SerializeToUtf8Bytes(command.Custom).Length;
        if (customBytes > MaxCustomBytes)
            throw new TargetRejectedException($"target {command.Name}: custom is {customBytes} bytes, over the {MaxCustomBytes}-byte limit");
        if (command.Custom["tags"] is not JsonArray { Count: > 0 and <= MaxTagsPerTarget } array
            || array.Any(t => t?.GetValueKind() != JsonValueKind.String))
            throw new TargetRejectedException($"target {command.Name}: custom.tags must be an array of 1..{MaxTagsPerTarget} strings, found {command.Custom["tags"]?.ToJsonString() ?? "nothing"}");
        var tags = array.Select(t => t!.GetValue<string>()).ToList();
        return tags.Distinct(StringComparer.Ordinal).Count() == tags.Count
            ? tags
            : throw new TargetRejectedException($"target {command.Name}: custom.tags lists a tag twice: [{string.Join(", ", tags)}]");
    }

    public static RepositoryState Initial(byte[] root) => new() { Roots = [root], Tags = new Dictionary<string, TagState>() };

    public static RepositoryState Apply(RepositoryState state, TagSigned signed) =>
        state with { Tags = new Dictionary<string, TagState>(state.Tags) { [signed.Tag] = signed.State } };

    /// <summary>What gateways serve: every root and each published view's current metadata and target files.</summary>
    public static RepositoryMetadata MetadataOf(RepositoryState state, long revision)
    {
        var views = new List<ViewMetadata>();
        foreach (var (tag, tagState) in state.Tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        foreach (var (view, viewState) in tagState.Views.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (viewState is not { TimestampRaw: { } timestamp, SnapshotRaw: { } snapshot, TargetsRaw: { } targets }) continue;
            var files = (viewState.PublishedTargets ?? new Dictionary<string, StoredTarget>())
                .ToDictionary(t => t.Key, t => t.Value.Content, StringComparer.Ordinal);
            views.Add(new ViewMetadata(tag, view, timestamp, tagState.SnapshotVersion, snapshot, tagState.TargetsVersion, targets, files));
        }
        return new RepositoryMetadata(revision, state.Roots, views);
    }
}

/// <summary>A target that cannot be recorded; the message names what is wrong.</summary>
public sealed class TargetRejectedException(string message) : Exception(message);
