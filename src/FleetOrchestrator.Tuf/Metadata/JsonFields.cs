using System.Text.Json;
using System.Text.Json.Nodes;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>
/// Reads the members of one JSON object with precise errors (role + JSON path + value seen) and
/// remembers which members were read so the rest can be kept as unknown fields.
/// </summary>
internal sealed class JsonFields
{
    private readonly JsonObject _obj;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public JsonFields(JsonNode? node, string role, string path)
    {
        Role = role;
        Path = path;
        _obj = node as JsonObject ?? throw Error(path, $"expected a JSON object, found {Describe(node)}");
    }

    public string Role { get; }
    public string Path { get; }

    public static JsonFields Of(JsonNode? node, string role, string path) => new(node, role, path);

    public MetadataFormatException Error(string path, string message) => new(Role, path, message);

    public static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => $"{v.GetValueKind().ToString().ToLowerInvariant()} {Truncate(v.ToJsonString())}",
        _ => node.GetType().Name,
    };

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "...";

    private JsonNode Require(string name)
    {
        _read.Add(name);
        if (!_obj.TryGetPropertyValue(name, out var value))
            throw Error($"{Path}.{name}", "required field is missing");
        return value ?? throw Error($"{Path}.{name}", "is null");
    }

    public bool Has(string name) => _obj.ContainsKey(name);

    public string String(string name) => AsString(Require(name), $"{Path}.{name}");

    public string AsString(JsonNode node, string path) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw Error(path, $"expected a string, found {Describe(node)}");

    public long Integer(string name, long min, long max = long.MaxValue)
    {
        var node = Require(name);
        var path = $"{Path}.{name}";
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue<long>(out var value))
            throw Error(path, $"expected an integer, found {Describe(node)}");
        if (value < min || value > max)
            throw Error(path, $"must be between {min} and {max}, found {value}");
        return value;
    }

    public long? OptionalInteger(string name, long min) => Has(name) && _obj[name] is not null ? Integer(name, min) : Mark(name);

    private long? Mark(string name)
    {
        _read.Add(name);
        return null;
    }

    public bool Bool(string name)
    {
        var node = Require(name);
        return node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? v.GetValue<bool>()
            : throw Error($"{Path}.{name}", $"expected true or false, found {Describe(node)}");
    }

    public bool? OptionalBool(string name) => Has(name) ? Bool(name) : null;

    public JsonObject Object(string name)
    {
        var node = Require(name);
        return node as JsonObject ?? throw Error($"{Path}.{name}", $"expected an object, found {Describe(node)}");
    }

    public JsonObject? OptionalObject(string name)
    {
        _read.Add(name);
        return Has(name) ? Object(name) : null;
    }

    public JsonArray Array(string name)
    {
        var node = Require(name);
        return node as JsonArray ?? throw Error($"{Path}.{name}", $"expected an array, found {Describe(node)}");
    }

    public JsonArray? OptionalArray(string name)
    {
        _read.Add(name);
        return Has(name) ? Array(name) : null;
    }

    /// <summary>A list of strings; <paramref name="unique"/> rejects repeated entries.</summary>
    public IReadOnlyList<string> StringList(string name, bool unique)
    {
        var array = Array(name);
        var list = new List<string>(array.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"{Path}.{name}[{i}]";
            var s = AsString(array[i] ?? throw Error(path, "is null"), path);
            if (unique && !seen.Add(s)) throw Error(path, $"duplicate entry \"{s}\"");
            list.Add(s);
        }
        return list;
    }

    /// <summary>A string -> string map (e.g. hashes), non-empty when <paramref name="nonEmpty"/>.</summary>
    public IReadOnlyDictionary<string, string> StringMap(string name, bool nonEmpty)
    {
        var obj = Object(name);
        if (nonEmpty && obj.Count == 0) throw Error($"{Path}.{name}", "must not be empty");
        var map = new Dictionary<string, string>(obj.Count, StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            var path = $"{Path}.{name}.{key}";
            map[key] = AsString(value ?? throw Error(path, "is null"), path);
        }
        return map;
    }

    /// <summary>The members not read so far, detached (deep-cloned) so they can be written back unchanged.</summary>
    public JsonObject? Unknown()
    {
        JsonObject? unknown = null;
        foreach (var (key, value) in _obj)
        {
            if (_read.Contains(key)) continue;
            unknown ??= new JsonObject();
            unknown[key] = value?.DeepClone();
        }
        return unknown;
    }

    /// <summary>Copies preserved unknown fields into an object being written.</summary>
    public static void AddUnknown(JsonObject target, JsonObject? unknown)
    {
        if (unknown is null) return;
        foreach (var (key, value) in unknown)
            target[key] = value?.DeepClone();
    }
}
