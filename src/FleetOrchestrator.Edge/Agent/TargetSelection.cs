using System.Globalization;
using System.Text.Json.Nodes;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// A target as the device reads it from trusted metadata: <c>custom.version</c>, hardware ids, tags, app URIs, and
/// whether the factory withdrew it (<c>custom.withdrawn</c>, set by <c>waves abort --rollback</c>).
/// </summary>
public sealed record TargetCandidate(string Name, long Version, IReadOnlyList<string> HardwareIds, IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string> Apps, bool Withdrawn = false)
{
    /// <summary>
    /// Reads the REFERENCE <c>custom</c> fields of a target; null with <paramref name="problem"/> when they are malformed
    /// (such a target is skipped, never installed).
    /// </summary>
    public static TargetCandidate? FromTarget(string name, TargetFile file, out string? problem)
    {
        problem = null;
        var custom = file.Custom;
        if (custom is null) return Fail("has no custom fields", out problem);
        if (custom["version"] is not JsonValue versionValue || !versionValue.TryGetValue<string>(out var versionText)
            || !long.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            return Fail("custom.version is not a string of an integer", out problem);
        var hardwareIds = Strings(custom["hardwareIds"]);
        var tags = Strings(custom["tags"]);
        if (hardwareIds is null || tags is null) return Fail("custom.hardwareIds or custom.tags is not a list of strings", out problem);
        if (custom["docker_compose_apps"] is not JsonObject appsObject) return Fail("custom.docker_compose_apps is not an object", out problem);
        var apps = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (app, entry) in appsObject)
        {
            if (entry is not JsonObject { } appEntry || appEntry["uri"] is not JsonValue uriValue || !uriValue.TryGetValue<string>(out var uri))
                return Fail($"custom.docker_compose_apps.{app}.uri is not a string", out problem);
            apps[app] = uri;
        }
        return new TargetCandidate(name, version, hardwareIds, tags, apps, TargetCustom.WithdrawnReason(custom) is not null);

        static TargetCandidate? Fail(string text, out string? problem)
        {
            problem = text;
            return null;
        }
    }

    private static string[]? Strings(JsonNode? node) =>
        node is JsonArray array && array.All(e => e is JsonValue v && v.TryGetValue<string>(out _))
            ? array.Select(e => e!.GetValue<string>()).ToArray()
            : null;
}

public enum SelectionOutcome
{
    /// <summary>Install <see cref="TargetChoice.Target"/>.</summary>
    Install,
    /// <summary>The installed target is the one to run.</summary>
    UpToDate,
    /// <summary>No target matches the device's hardware id and tag (or every match failed here).</summary>
    NoTarget,
    /// <summary>The best match has a lower version than the installed one and downgrades are not allowed.</summary>
    DowngradeRefused,
}

public sealed record TargetChoice(SelectionOutcome Outcome, TargetCandidate? Target, string Reason);

/// <summary>The installed target, as far as selection cares.</summary>
public sealed record InstalledVersion(string Name, long Version);

/// <summary>
/// The pure device-side target selection (REFERENCE "Targets"; DESIGN §3): keep targets listing the device's
/// hardware id and tag, skip those that failed on this device or were withdrawn, take the highest integer version
/// (ties: the ordinally greatest name), and refuse a lower version than the installed one unless downgrades are
/// allowed — or the installed one was withdrawn: then the signed metadata itself sends the device back.
/// </summary>
public static class TargetSelection
{
    public static TargetChoice Select(IEnumerable<TargetCandidate> candidates, string hardwareId, string tag,
        InstalledVersion? installed, IReadOnlySet<string> failedHere, bool downgradeAllowed)
    {
        var matching = candidates.Where(t => t.HardwareIds.Contains(hardwareId, StringComparer.Ordinal) && t.Tags.Contains(tag, StringComparer.Ordinal)).ToList();
        var usable = matching.Where(t => !failedHere.Contains(t.Name) && !t.Withdrawn).ToList();
        var best = usable.OrderByDescending(t => t.Version).ThenByDescending(t => t.Name, StringComparer.Ordinal).FirstOrDefault();
        if (best is null)
            return new TargetChoice(SelectionOutcome.NoTarget, null, matching.Count == 0
                ? $"no target for hardware id {hardwareId} and tag {tag}"
                : $"every target for hardware id {hardwareId} and tag {tag} failed on this device or was withdrawn ({string.Join(", ", matching.Select(t => t.Name).Order(StringComparer.Ordinal))}); an operator can retry them");
        if (installed is not null && best.Name == installed.Name)
            return new TargetChoice(SelectionOutcome.UpToDate, best, $"{best.Name} (version {best.Version}) is installed");
        var installedWithdrawn = installed is not null && matching.Any(t => t.Withdrawn && t.Name == installed.Name);
        if (installedWithdrawn)
            return new TargetChoice(SelectionOutcome.Install, best, $"{installed!.Name} (version {installed.Version}) was withdrawn: back to {best.Name} (version {best.Version})");
        if (installed is not null && best.Version < installed.Version && !downgradeAllowed)
            return new TargetChoice(SelectionOutcome.DowngradeRefused, best,
                $"the newest target {best.Name} has version {best.Version}, lower than the installed {installed.Name} (version {installed.Version}); downgrade is not allowed");
        return new TargetChoice(SelectionOutcome.Install, best, installed is null
            ? $"install {best.Name} (version {best.Version})"
            : $"update {installed.Name} (version {installed.Version}) to {best.Name} (version {best.Version})");
    }
}
