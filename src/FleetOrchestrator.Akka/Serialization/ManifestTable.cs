using System.Text.RegularExpressions;
using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.Infrastructure.Serialization;

/// <summary>
/// The explicit two-way table between message types and the short manifest strings written beside their
/// payloads (in remote envelopes and in journal rows). Type names never reach the wire: a payload names
/// its type only through this table, and a manifest not in it is refused. Manifests are part of the stored
/// format: never reuse or rename one; add a new manifest (e.g. a <c>.v2</c> suffix) for a changed shape.
/// </summary>
public sealed partial class ManifestTable
{
    private readonly Dictionary<Type, string> _manifestByType;
    private readonly Dictionary<string, Type> _typeByManifest;

    private ManifestTable(Dictionary<Type, string> manifestByType)
    {
        _manifestByType = manifestByType;
        _typeByManifest = manifestByType.ToDictionary(e => e.Value, e => e.Key, StringComparer.Ordinal);
    }

    public static ManifestTable Empty { get; } = new(new Dictionary<Type, string>());

    public IReadOnlyCollection<Type> Types => _manifestByType.Keys;
    public IReadOnlyCollection<string> Manifests => _typeByManifest.Keys;

    /// <summary>A table with <typeparamref name="T"/> added under <paramref name="manifest"/>.</summary>
    public ManifestTable Add<T>(string manifest) where T : IFleetMessage => Add(typeof(T), manifest);

    public ManifestTable Add(Type type, string manifest)
    {
        if (!typeof(IFleetMessage).IsAssignableFrom(type))
            throw new ArgumentException($"{type.FullName} does not implement {nameof(IFleetMessage)}, so the fleet serializer would never be asked for it", nameof(type));
        if (!ManifestPattern().IsMatch(manifest))
            throw new ArgumentException($"manifest \"{manifest}\" for {type.Name}: use 1-64 of a-z 0-9 . - starting with a letter", nameof(manifest));
        if (_manifestByType.TryGetValue(type, out var existing))
            throw new ArgumentException($"{type.Name} already has manifest \"{existing}\"; cannot add \"{manifest}\"", nameof(type));
        if (_typeByManifest.TryGetValue(manifest, out var owner))
            throw new ArgumentException($"manifest \"{manifest}\" already names {owner.Name}; cannot give it to {type.Name}", nameof(manifest));
        return new ManifestTable(new Dictionary<Type, string>(_manifestByType) { [type] = manifest });
    }

    /// <summary>Both tables' entries; a type or manifest present in both is an error.</summary>
    public ManifestTable Merge(ManifestTable other) =>
        other._manifestByType.Aggregate(this, (table, entry) => table.Add(entry.Key, entry.Value));

    public bool TryGetManifest(Type type, out string manifest) => _manifestByType.TryGetValue(type, out manifest!);

    public bool TryGetType(string manifest, out Type type) => _typeByManifest.TryGetValue(manifest, out type!);

    [GeneratedRegex("^[a-z][a-z0-9.-]{0,63}$")]
    private static partial Regex ManifestPattern();
}
