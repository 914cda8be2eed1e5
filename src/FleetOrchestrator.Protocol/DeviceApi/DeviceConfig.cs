using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace FleetOrchestrator.Protocol.DeviceApi;

/// <summary>
/// The tag a device follows and the apps of its targets it runs: the body of the gateway's <c>GET /config</c>.
/// Operators set it per device or per group; without either it is what the device registered with. The control
/// plane, the gateway and the edge agent all check it with <see cref="Problem"/>.
/// </summary>
/// <param name="Apps">null = every app of the target; empty = none; else these names (REFERENCE <c>compose_apps</c>).</param>
public sealed partial record DeviceConfig(
    [property: JsonPropertyName("tag")] string Tag,
    [property: JsonPropertyName("apps")] IReadOnlyList<string>? Apps)
{
    public const int MaxApps = 64;

    /// <summary>The same selection in a canonical form (distinct names, ordinal order), so equal selections compare equal.</summary>
    public static DeviceConfig Of(string tag, IEnumerable<string>? apps) =>
        new(tag, apps?.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());

    /// <summary>Null when the config is acceptable, else what is wrong with it.</summary>
    [JsonIgnore]
    public string? Problem =>
        Tag is null || !TagPattern().IsMatch(Tag) ? $"invalid tag \"{Tag}\": use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit"
        : Apps is { Count: > MaxApps } ? $"the app selection lists {Apps.Count} apps, over the limit of {MaxApps}"
        : Apps?.Contains(null!) == true ? "the app selection holds null"
        : Apps?.FirstOrDefault(a => !AppNamePattern().IsMatch(a)) is { } app ? $"invalid app name \"{app}\" in the app selection"
        : null;

    /// <summary>"all", "none" or the names joined by commas: how operators write it.</summary>
    [JsonIgnore]
    public string AppsText => Apps is null ? "all" : Apps.Count == 0 ? "none" : string.Join(",", Apps);

    public bool Equals(DeviceConfig? other) =>
        other is not null && Tag == other.Tag && (Apps is null ? other.Apps is null : other.Apps is not null && Apps.SequenceEqual(other.Apps));

    public override int GetHashCode() => HashCode.Combine(Tag, Apps?.Count ?? -1);

    public override string ToString() => $"tag {Tag}, apps {AppsText}";

    /// <summary>Tags, hardware ids and group names.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public static partial Regex TagPattern();

    /// <summary>App names (compose project names).</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    public static partial Regex AppNamePattern();
}
