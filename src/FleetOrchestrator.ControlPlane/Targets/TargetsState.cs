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
        var scratch = TufRepository.Load(current.State, signers, current.Options, time);
        var changed = new List<string>();
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
            if (scratch.Publish(tag).Count > 0)
                throw new TargetRejectedException($"tag {tag}: the targets key is not loaded on this node, and signing targets offline is not supported by the registry yet");
            changed.Add(tag);
        }
        return changed.Select(tag => new TagSigned(tag, scratch.State.Tags[tag])).ToList();
    }

    /// <summary>Re-signs roles past the refresh margin (<see cref="RepositoryOptions.RefreshWhenRemaining"/>); the events for the tags re-signed.</summary>
    public static IReadOnlyList<TagSigned> RefreshExpiring(TufRepository current, IEnumerable<ISigner> signers, TimeProvider time)
    {
        var scratch = TufRepository.Load(current.State, signers, current.Options, time);
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
    public static RepositoryMetadata MetadataOf(RepositoryState state)
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
        return new RepositoryMetadata(state.Roots, views);
    }
}

/// <summary>A target that cannot be recorded; the message names what is wrong.</summary>
public sealed class TargetRejectedException(string message) : Exception(message);
