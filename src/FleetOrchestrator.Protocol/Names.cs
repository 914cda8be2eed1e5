using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace FleetOrchestrator.Protocol;

/// <summary>
/// The one naming rule of each kind of name operators, devices and containers.git choose: publishing, the gateway,
/// the command host and the edge agent all check with these, so a name one accepts no other refuses.
/// </summary>
public static partial class Names
{
    /// <summary>Device names: the CN of the device certificate and a DNS label.</summary>
    public static NameRule Device { get; } = new("device name", DevicePattern(), "1-63 of a-z 0-9 - starting with a letter or digit");

    /// <summary>
    /// App names: the folder in containers.git, the compose project on the device and its folder there. Compose v2
    /// refuses a '.' in a project name and v1 drops it (two apps could become one project), so there is none.
    /// </summary>
    public static NameRule App { get; } = new("app name", AppPattern(),
        "1-63 of a-z 0-9 _ - starting with a letter or digit (a docker compose project name)");

    /// <summary>TUF tags a target is published for and devices follow.</summary>
    public static NameRule Tag { get; } = new("tag", TagPattern(), TagDescription);

    /// <summary>Hardware ids a target is published for and devices register with.</summary>
    public static NameRule HardwareId { get; } = new("hardware id", TagPattern(), TagDescription);

    public static NameRule Group { get; } = new("group name", TagPattern(), TagDescription);

    /// <summary>Wave names; a wave's devices are served the TUF view of that name.</summary>
    public static NameRule Wave { get; } = new("wave name", WavePattern(), "1-64 of a-z 0-9 . _ - starting with a letter or digit");

    /// <summary>Operator token names: who did what in the command host's audit journal.</summary>
    public static NameRule Operator { get; } = new("operator name", OperatorPattern(), "1-64 of a-z 0-9 . _ @ - starting with a letter or digit");

    private const string TagDescription = "1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex DevicePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex AppPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex WavePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9._@-]{0,63}$")]
    private static partial Regex OperatorPattern();
}

/// <summary>What one kind of name may be, and the refusal that says so.</summary>
public sealed class NameRule(string kind, Regex pattern, string description)
{
    private const int ShownLength = 80;

    /// <summary>How refusals name the kind: "device name", "tag".</summary>
    public string Kind { get; } = kind;

    /// <summary>The rule in words, quoted by every refusal.</summary>
    public string Description { get; } = description;

    public bool IsMatch([NotNullWhen(true)] string? name) => name is not null && pattern.IsMatch(name);

    /// <summary>Null when <paramref name="name"/> is allowed, else the refusal naming it and the rule.</summary>
    /// <param name="where">Where the name was found, e.g. "in the app selection".</param>
    public string? Problem(string? name, string? where = null) =>
        IsMatch(name) ? null : $"invalid {Kind} \"{Shown(name)}\"{(where is null ? "" : " " + where)}: use {Description}";

    public override string ToString() => $"{Kind}: {Description}";

    private static string? Shown(string? name) => name is { Length: > ShownLength } ? name[..ShownLength] + "…" : name;
}
