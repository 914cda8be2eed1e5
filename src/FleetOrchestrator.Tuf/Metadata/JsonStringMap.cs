using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>
/// A string → string map read from a parsed JSON object whose values were checked to be strings: values are
/// decoded when asked for. A large targets.json has thousands of hash maps and a client reads one or two, so
/// leaving them in the parsed document saves most of the parse's allocations.
/// </summary>
internal sealed class JsonStringMap(JsonElement obj) : IReadOnlyDictionary<string, string>
{
    public int Count { get; } = obj.GetPropertyCount();

    public string this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    public IEnumerable<string> Keys => obj.EnumerateObject().Select(m => m.Name);

    public IEnumerable<string> Values => obj.EnumerateObject().Select(m => m.Value.GetString()!);

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        foreach (var member in obj.EnumerateObject())
        {
            if (!member.NameEquals(key)) continue;
            value = member.Value.GetString()!;
            return true;
        }
        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() =>
        obj.EnumerateObject().Select(m => KeyValuePair.Create(m.Name, m.Value.GetString()!)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
