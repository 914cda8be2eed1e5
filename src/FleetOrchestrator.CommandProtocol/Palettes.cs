using System.Text.Json.Serialization;

namespace FleetOrchestrator.CommandProtocol;

/// <summary>What an operator token allows, each role including the ones before it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OperatorRole>))]
public enum OperatorRole
{
    /// <summary>Reads only: listings, status, show.</summary>
    Viewer,
    /// <summary>Changes the fleet: publishes, rollouts, device and group configuration.</summary>
    Operator,
    /// <summary>Changes the cluster and the keys.</summary>
    Admin,
}

[JsonConverter(typeof(JsonStringEnumConverter<SwitchType>))]
public enum SwitchType
{
    String,
    /// <summary>A whole number.</summary>
    Integer,
    /// <summary>No value: present or not.</summary>
    Flag,
    /// <summary>A number with a unit: <c>30s</c>, <c>5m</c>, <c>2h</c>, <c>1d</c>.</summary>
    Duration,
}

/// <summary>A <c>--name value</c> switch of a command.</summary>
/// <param name="Secret">Its values are key material or signatures: the audit journal records <c>&lt;elided&gt;</c> instead.</param>
public sealed record SwitchDefinition(string Name, SwitchType Type, string Help, bool Required = false, bool Repeatable = false, bool Secret = false);

/// <summary>A positional argument of a command; optional ones come after the required ones.</summary>
/// <param name="Secret">Its value is key material or a signature: the audit journal records <c>&lt;elided&gt;</c> instead.</param>
public sealed record ArgumentDefinition(string Name, string Help, bool Required = true, bool Secret = false);

/// <summary>One command of a palette and the role it needs.</summary>
/// <param name="ChangesState">
/// Whether the command changes state, so that the command host records it in the audit journal before answering;
/// null: it does when it needs more than the viewer role (say false for a read-only command of a higher role).
/// </param>
public sealed record CommandDefinition(
    string Name,
    string Help,
    OperatorRole Role,
    IReadOnlyList<ArgumentDefinition> Arguments,
    IReadOnlyList<SwitchDefinition> Switches,
    bool? ChangesState = null)
{
    /// <summary>Recorded in the audit journal (see <see cref="ChangesState"/>).</summary>
    [JsonIgnore]
    public bool Audited => ChangesState ?? Role > OperatorRole.Viewer;

    /// <summary>One line of usage: <c>list &lt;device&gt; [&lt;correlation&gt;] [--tag string]</c>.</summary>
    public string Usage()
    {
        var parts = new List<string> { Name };
        parts.AddRange(Arguments.Select(a => a.Required ? $"<{a.Name}>" : $"[<{a.Name}>]"));
        foreach (var s in Switches)
        {
            var value = s.Type == SwitchType.Flag ? $"--{s.Name}" : $"--{s.Name} <{s.Type.ToString().ToLowerInvariant()}>";
            if (s.Repeatable) value += "...";
            parts.Add(s.Required ? value : $"[{value}]");
        }
        return string.Join(' ', parts);
    }
}

/// <summary>A named set of commands the host implements, as sent to clients on connect.</summary>
public sealed record PaletteDefinition(string Name, string Help, IReadOnlyList<CommandDefinition> Commands)
{
    public CommandDefinition? Command(string name) => Commands.FirstOrDefault(c => c.Name == name);
}
