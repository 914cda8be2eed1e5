using System.Globalization;
using System.Text.Json.Nodes;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>A published target as operators list it: where it is (tags of production views) and what it holds.</summary>
public sealed record TargetSummary(
    string Name,
    string Version,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> HardwareIds,
    IReadOnlyDictionary<string, string> Apps,
    string? CreatedAt,
    long Length,
    IReadOnlyDictionary<string, string> Hashes,
    JsonObject? Custom)
{
    /// <summary>Why the target was withdrawn (<c>waves abort --rollback</c>); null when it was not.</summary>
    public string? Withdrawn => TargetCustom.WithdrawnReason(Custom);
}

/// <summary>The targets of the production views of a <see cref="RepositoryMetadata"/>, read from their signed targets metadata.</summary>
public static class TargetCatalog
{
    /// <summary>Every target once (its tags merged), in version order (numeric versions numerically), then by name.</summary>
    public static IReadOnlyList<TargetSummary> Of(RepositoryMetadata metadata, string? tag = null)
    {
        var byName = new Dictionary<string, (TargetFile File, SortedSet<string> Tags)>(StringComparer.Ordinal);
        foreach (var view in metadata.Views.Where(v => v.View == TufRepository.ProductionView && (tag is null || v.Tag == tag)))
        {
            var targets = SignedMetadata<TargetsMetadata>.Parse(view.Targets).Signed;
            foreach (var (name, file) in targets.Targets)
            {
                if (!byName.TryGetValue(name, out var entry)) byName[name] = entry = (file, new SortedSet<string>(StringComparer.Ordinal));
                entry.Tags.Add(view.Tag);
            }
        }
        return byName.Select(p => Summarize(p.Key, p.Value.File, p.Value.Tags.ToList()))
            .OrderBy(t => long.TryParse(t.Version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : long.MaxValue)
            .ThenBy(t => t.Version, StringComparer.Ordinal)
            .ThenBy(t => t.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The target whose version or name is <paramref name="versionOrName"/>; null when there is none.</summary>
    public static TargetSummary? Find(IReadOnlyList<TargetSummary> targets, string versionOrName) =>
        targets.FirstOrDefault(t => t.Name == versionOrName) ?? targets.FirstOrDefault(t => t.Version == versionOrName);

    private static TargetSummary Summarize(string name, TargetFile file, IReadOnlyList<string> tags)
    {
        var custom = file.Custom;
        var apps = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (custom?["docker_compose_apps"] is JsonObject appSet)
            foreach (var (app, value) in appSet)
                apps[app] = value?["uri"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? value["uri"]!.GetValue<string>() : "";
        return new TargetSummary(name, Text(custom?["version"]) ?? "", tags, Strings(custom?["hardwareIds"]), apps,
            Text(custom?["createdAt"]), file.Length, file.Hashes, custom);
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.String => node.GetValue<string>(),
        System.Text.Json.JsonValueKind.Number => node.ToJsonString(),
        _ => null,
    };

    private static IReadOnlyList<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(Text).OfType<string>().ToList() : [];
}
