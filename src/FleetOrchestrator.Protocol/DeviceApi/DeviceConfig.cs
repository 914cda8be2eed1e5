using System.Text.Json.Serialization;

namespace FleetOrchestrator.Protocol.DeviceApi;

/// <summary>
/// The tag a device follows and the apps of its targets it runs: the body of the gateway's <c>GET /config</c>.
/// Operators set it per device or per group; without either it is what the device registered with. The control
/// plane, the gateway and the edge agent all check it with <see cref="Problem"/>.
/// </summary>
/// <param name="Apps">null = every app of the target; empty = none; else these names (REFERENCE <c>compose_apps</c>).</param>
public sealed record DeviceConfig(
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
        Names.Tag.Problem(Tag)
        ?? (Apps is { Count: > MaxApps } ? $"the app selection lists {Apps.Count} apps, over the limit of {MaxApps}"
            : Apps?.Contains(null!) == true ? "the app selection holds null"
            : Apps?.Select(a => Names.App.Problem(a, "in the app selection")).FirstOrDefault(p => p is not null));

    /// <summary>"all", "none" or the names joined by commas: how operators write it.</summary>
    [JsonIgnore]
    public string AppsText => Apps is null ? "all" : Apps.Count == 0 ? "none" : string.Join(",", Apps);

    public bool Equals(DeviceConfig? other) =>
        other is not null && Tag == other.Tag && (Apps is null ? other.Apps is null : other.Apps is not null && Apps.SequenceEqual(other.Apps));

    public override int GetHashCode() => HashCode.Combine(Tag, Apps?.Count ?? -1);

    public override string ToString() => $"tag {Tag}, apps {AppsText}";
}
