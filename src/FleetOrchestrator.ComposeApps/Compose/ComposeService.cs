using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FleetOrchestrator.ComposeApps.Compose;

/// <summary>One service of a compose file, editable in place.</summary>
public sealed class ComposeService(string name, YamlMappingNode node)
{
    public const string ConfigHashLabel = "io.compose-spec.config-hash";
    private static readonly YamlScalarNode ImageKey = new("image");
    private static readonly YamlScalarNode BuildKey = new("build");
    private static readonly YamlScalarNode LabelsKey = new("labels");
    private static readonly YamlScalarNode MergeKey = new("<<");

    public string Name { get; } = name;

    /// <summary>The image as written, looking through YAML merge keys (<c>&lt;&lt;: *base</c>); null when absent.</summary>
    public string? Image => Lookup(node, ImageKey) is YamlScalarNode { Value: { Length: > 0 } image } ? image : null;

    public bool HasBuild => Lookup(node, BuildKey) is not null;

    /// <summary>Sets <c>image:</c> on the service itself, which also overrides a merged-in image.</summary>
    public void SetImage(string image) =>
        node.Children[ImageKey] = new YamlScalarNode(image) { Style = ScalarStyle.Plain };

    /// <summary>Devices never build: the build stanza goes (a merged-in one is masked by an explicit null).</summary>
    public void RemoveBuild()
    {
        node.Children.Remove(BuildKey);
        if (Lookup(node, BuildKey) is not null) node.Children[BuildKey] = new YamlScalarNode("null") { Style = ScalarStyle.Plain };
    }

    /// <summary>A label's value as the file writes it (mapping or <c>key=value</c> list form); null when absent.</summary>
    public string? LabelValue(string key) =>
        (node.Children.TryGetValue(LabelsKey, out var labels) ? labels : null) switch
        {
            YamlSequenceNode list => list.Children.OfType<YamlScalarNode>().Select(s => (s.Value ?? "").Split('=', 2))
                .Where(kv => kv[0] == key).Select(kv => kv.Length == 2 ? kv[1] : "").FirstOrDefault(),
            YamlMappingNode map => map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null,
            _ => null,
        };

    /// <summary>Adds or replaces a label, in the list or mapping form the file already uses.</summary>
    public void SetLabel(string key, string value)
    {
        switch (node.Children.TryGetValue(LabelsKey, out var labels) ? labels : null)
        {
            case YamlSequenceNode list:
                var entry = new YamlScalarNode($"{key}={value}");
                var index = list.Children.ToList().FindIndex(n => n is YamlScalarNode s && (s.Value ?? "").Split('=')[0] == key);
                if (index >= 0) list.Children[index] = entry; else list.Children.Add(entry);
                break;
            case YamlMappingNode map:
                map.Children[new YamlScalarNode(key)] = new YamlScalarNode(value) { Style = ScalarStyle.DoubleQuoted };
                break;
            default:
                node.Children[LabelsKey] = new YamlMappingNode(new YamlScalarNode(key), new YamlScalarNode(value) { Style = ScalarStyle.DoubleQuoted });
                break;
        }
    }

    /// <summary>
    /// The service definition as JSON with merge keys resolved and the config-hash label left out:
    /// what <see cref="ConfigHash"/> hashes.
    /// </summary>
    public JsonObject ToJsonWithoutConfigHash()
    {
        var json = (JsonObject)ToJson(node)!;
        switch (json["labels"])
        {
            case JsonObject map:
                map.Remove(ConfigHashLabel);
                if (map.Count == 0) json.Remove("labels");
                break;
            case JsonArray list:
                foreach (var item in list.Where(i => i?.GetValue<string>().Split('=')[0] == ConfigHashLabel).ToList()) list.Remove(item);
                if (list.Count == 0) json.Remove("labels");
                break;
        }
        return json;
    }

    private static JsonNode? ToJson(YamlNode yaml) => yaml switch
    {
        YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" } => null,
        YamlScalarNode scalar => JsonValue.Create(scalar.Value ?? ""),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlMappingNode map => MappingToJson(map),
        _ => null,
    };

    private static JsonObject MappingToJson(YamlMappingNode map)
    {
        var result = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            if (key.Equals(MergeKey)) continue;
            result[((YamlScalarNode)key).Value ?? ""] = ToJson(value);
        }
        // Merged mappings fill only keys the mapping does not set itself, first merge source first.
        foreach (var source in MergeSources(map))
            foreach (var (k, v) in MappingToJson(source))
                if (!result.ContainsKey(k)) result[k] = v?.DeepClone();
        return result;
    }

    private static YamlNode? Lookup(YamlMappingNode map, YamlScalarNode key)
    {
        if (map.Children.TryGetValue(key, out var direct)) return direct;
        foreach (var source in MergeSources(map))
            if (Lookup(source, key) is { } merged) return merged;
        return null;
    }

    private static IEnumerable<YamlMappingNode> MergeSources(YamlMappingNode map)
    {
        if (!map.Children.TryGetValue(MergeKey, out var merge)) return [];
        return merge switch
        {
            YamlMappingNode one => [one],
            YamlSequenceNode many => many.Children.OfType<YamlMappingNode>(),
            _ => [],
        };
    }
}
