using System.Text.Json;
using System.Text.Json.Nodes;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>
/// Reads the members of one JSON object with precise errors (role + JSON path + value seen) and
/// remembers which members were read so the rest can be kept as unknown fields.
/// </summary>
internal sealed class JsonFields
{
    private readonly JsonElement _obj;
    private readonly List<string> _read = new(8);

    private readonly string _parentPath;
    private readonly string? _member;
    private string? _path;

    public JsonFields(JsonElement element, string role, string path) : this(element, role, path, null)
    {
    }

    /// <summary>The object at member <paramref name="member"/> of <paramref name="parentPath"/> (the path string is built only if an error needs it).</summary>
    public JsonFields(JsonElement element, string role, string parentPath, string? member)
    {
        Role = role;
        _parentPath = parentPath;
        _member = member;
        _obj = element.ValueKind == JsonValueKind.Object ? element : throw Error(Path, $"expected a JSON object, found {Describe(element)}");
    }

    public string Role { get; }
    public string Path => _path ??= _member is null ? _parentPath : $"{_parentPath}.{_member}";

    public MetadataFormatException Error(string path, string message) => new(Role, path, message);

    public static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        var kind => $"{kind.ToString().ToLowerInvariant()} {Truncate(element.GetRawText())}",
    };

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "...";

    /// <summary>Marks <paramref name="name"/> as read; returns its value when present and not null.</summary>
    private bool TryRead(string name, out JsonElement value)
    {
        _read.Add(name);
        return _obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
    }

    private JsonElement Require(string name)
    {
        if (TryRead(name, out var value)) return value;
        throw Error(PathOf(name), value.ValueKind == JsonValueKind.Null ? "is null" : "required field is missing");
    }

    /// <summary>The JSON path of a member (or of an entry of it), built only when an error needs it.</summary>
    private string PathOf(string name, string? key = null, int index = -1) =>
        key is not null ? $"{Path}.{name}.{key}" : index >= 0 ? $"{Path}.{name}[{index}]" : $"{Path}.{name}";

    public string String(string name) => AsString(Require(name), name);

    private string AsString(JsonElement element, string name, string? key = null, int index = -1) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : throw Error(PathOf(name, key, index), $"expected a string, found {Describe(element)}");

    public long Integer(string name, long min, long max = long.MaxValue) => AsInteger(Require(name), name, min, max);

    private long AsInteger(JsonElement element, string name, long min, long max)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value))
            throw Error(PathOf(name), $"expected an integer, found {Describe(element)}");
        if (value < min || value > max)
            throw Error(PathOf(name), $"must be between {min} and {max}, found {value}");
        return value;
    }

    public long? OptionalInteger(string name, long min) =>
        TryRead(name, out var value) ? AsInteger(value, name, min, long.MaxValue) : null;

    public bool? OptionalBool(string name) => TryRead(name, out var value) ? AsBool(value, name) : null;

    public bool Bool(string name) => AsBool(Require(name), name);

    private bool AsBool(JsonElement element, string name) => element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Error(PathOf(name), $"expected true or false, found {Describe(element)}"),
    };

    public JsonElement Object(string name)
    {
        var value = Require(name);
        return value.ValueKind == JsonValueKind.Object ? value : throw Error(PathOf(name), $"expected an object, found {Describe(value)}");
    }

    public JsonElement? OptionalObject(string name) =>
        !TryRead(name, out var value) ? null
        : value.ValueKind == JsonValueKind.Object ? value
        : throw Error(PathOf(name), $"expected an object, found {Describe(value)}");

    public JsonElement Array(string name)
    {
        var value = Require(name);
        return value.ValueKind == JsonValueKind.Array ? value : throw Error(PathOf(name), $"expected an array, found {Describe(value)}");
    }

    /// <summary>A list of strings when present (else null); <paramref name="unique"/> rejects repeated entries.</summary>
    public IReadOnlyList<string>? OptionalStringList(string name, bool unique) => TryRead(name, out _) ? StringList(name, unique) : null;

    public IReadOnlyList<string> StringList(string name, bool unique)
    {
        var array = Array(name);
        var list = new List<string>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            var s = AsString(item, name, index: list.Count);
            if (unique && list.Contains(s)) throw Error(PathOf(name, index: list.Count), $"duplicate entry \"{s}\"");
            list.Add(s);
        }
        return list;
    }

    /// <summary>A string -> string map (e.g. hashes), non-empty when <paramref name="nonEmpty"/>.</summary>
    public IReadOnlyDictionary<string, string> StringMap(string name, bool nonEmpty)
    {
        var obj = Object(name);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in obj.EnumerateObject())
        {
            var key = KnownName(member);
            map[key] = AsString(member.Value, name, key);
        }
        if (nonEmpty && map.Count == 0) throw Error(PathOf(name), "must not be empty");
        return map;
    }

    /// <summary>As <see cref="StringMap"/>, checked now but decoded on access (<see cref="JsonStringMap"/>).</summary>
    public IReadOnlyDictionary<string, string> DeferredStringMap(string name, bool nonEmpty)
    {
        var obj = Object(name);
        var count = 0;
        foreach (var member in obj.EnumerateObject())
        {
            if (member.Value.ValueKind != JsonValueKind.String)
                throw Error(PathOf(name, member.Name), $"expected a string, found {Describe(member.Value)}");
            count++;
        }
        if (nonEmpty && count == 0) throw Error(PathOf(name), "must not be empty");
        return new JsonStringMap(obj);
    }

    public IReadOnlyDictionary<string, string>? OptionalStringMap(string name, bool nonEmpty) => TryRead(name, out _) ? StringMap(name, nonEmpty) : null;

    /// <summary>The members not read, as independent nodes that are written back unchanged (null when there are none).</summary>
    public JsonObject? Unknown()
    {
        JsonObject? unknown = null;
        foreach (var member in _obj.EnumerateObject())
        {
            if (WasRead(member)) continue;
            unknown ??= new JsonObject();
            unknown[member.Name] = NodeOf(member.Value);
        }
        return unknown;
    }

    /// <summary>Compares names in place: <see cref="JsonProperty.Name"/> allocates a string per call.</summary>
    private bool WasRead(JsonProperty member)
    {
        foreach (var name in _read)
            if (member.NameEquals(name)) return true;
        return false;
    }

    /// <summary>The usual hash algorithm names are shared instead of allocated once per entry.</summary>
    private static string KnownName(JsonProperty member) =>
        member.NameEquals(Hashes.Sha256) ? Hashes.Sha256 : member.NameEquals(Hashes.Sha512) ? Hashes.Sha512 : member.Name;

    /// <summary>A JsonNode over an element (materialised lazily, on first access).</summary>
    public static JsonNode? NodeOf(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => JsonObject.Create(element),
        JsonValueKind.Array => JsonArray.Create(element),
        JsonValueKind.Null => null,
        _ => JsonValue.Create(element),
    };

    /// <summary>Copies preserved unknown fields into an object being written.</summary>
    public static void AddUnknown(JsonObject target, JsonObject? unknown)
    {
        if (unknown is null) return;
        foreach (var (key, value) in unknown)
            target[key] = value?.DeepClone();
    }
}
