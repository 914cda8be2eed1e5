using System.Globalization;

namespace FleetOrchestrator.CommandProtocol;

/// <summary>A command with its arguments checked against its definition: positionals by name, switches by name (values as given).</summary>
public sealed record CommandInvocation(
    string Palette,
    CommandDefinition Command,
    IReadOnlyDictionary<string, string> Arguments,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Switches)
{
    public string? Argument(string name) => Arguments.GetValueOrDefault(name);

    public string? String(string name) => Switches.TryGetValue(name, out var values) ? values[^1] : null;

    public IReadOnlyList<string> All(string name) => Switches.TryGetValue(name, out var values) ? values : [];

    public bool Flag(string name) => Switches.ContainsKey(name);

    public long? Integer(string name) => String(name) is { } text ? long.Parse(text, CultureInfo.InvariantCulture) : null;

    public TimeSpan? Duration(string name) => String(name) is { } text ? CommandParser.ParseDuration(text) : null;
}

/// <summary>A request the host refuses before running anything; <see cref="Code"/> is the end frame's error code.</summary>
public sealed class CommandUsageException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>Checks a request's palette, command and argument tokens against the palettes the host implements.</summary>
public static class CommandParser
{
    public const int MaxArguments = 256;
    public const int MaxArgumentLength = 4096;

    public static CommandInvocation Parse(IReadOnlyList<PaletteDefinition> palettes, string palette, string command, IReadOnlyList<string> arguments)
    {
        var paletteDefinition = palettes.FirstOrDefault(p => p.Name == palette)
            ?? throw new CommandUsageException(ErrorCodes.UnknownPalette,
                $"no palette \"{palette}\"; palettes: {string.Join(", ", palettes.Select(p => p.Name))}");
        var definition = paletteDefinition.Command(command)
            ?? throw new CommandUsageException(ErrorCodes.UnknownCommand,
                $"palette {palette} has no command \"{command}\"; commands: {string.Join(", ", paletteDefinition.Commands.Select(c => c.Name))}");
        return Parse(palette, definition, arguments);
    }

    public static CommandInvocation Parse(string palette, CommandDefinition command, IReadOnlyList<string> arguments)
    {
        if (arguments.Count > MaxArguments) throw Usage(palette, command, $"too many arguments ({arguments.Count}; at most {MaxArguments})");
        var positionals = new Dictionary<string, string>(StringComparer.Ordinal);
        var switches = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < arguments.Count; i++)
        {
            var token = arguments[i];
            if (token.Length > MaxArgumentLength) throw Usage(palette, command, $"argument {i + 1} is longer than {MaxArgumentLength} characters");
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2)
            {
                if (positionals.Count == command.Arguments.Count)
                    throw Usage(palette, command, command.Arguments.Count == 0
                        ? $"unexpected argument \"{token}\": {command.Name} takes no positional arguments"
                        : $"unexpected argument \"{token}\": {command.Name} takes {command.Arguments.Count} ({string.Join(", ", command.Arguments.Select(a => a.Name))})");
                positionals[command.Arguments[positionals.Count].Name] = token;
                continue;
            }
            var name = token[2..];
            string? inlineValue = null;
            if (name.IndexOf('=') is var equals and > 0) (name, inlineValue) = (name[..equals], name[(equals + 1)..]);
            var definition = command.Switches.FirstOrDefault(s => s.Name == name)
                ?? throw Usage(palette, command, command.Switches.Count == 0
                    ? $"unknown switch --{name}: {command.Name} takes no switches"
                    : $"unknown switch --{name}; switches: {string.Join(", ", command.Switches.Select(s => "--" + s.Name))}");
            string value;
            if (definition.Type == SwitchType.Flag)
            {
                if (inlineValue is not null) throw Usage(palette, command, $"--{name} is a flag and takes no value");
                value = "true";
            }
            else if (inlineValue is not null) value = inlineValue;
            else if (i + 1 < arguments.Count) value = arguments[++i];
            else throw Usage(palette, command, $"--{name} needs a value ({definition.Type.ToString().ToLowerInvariant()})");
            CheckValue(palette, command, definition, value);
            if (!switches.TryGetValue(name, out var values)) switches[name] = values = [];
            else if (!definition.Repeatable) throw Usage(palette, command, $"--{name} given twice; it takes one value");
            values.Add(value);
        }
        if (command.Arguments.FirstOrDefault(a => a.Required && !positionals.ContainsKey(a.Name)) is { } missing)
            throw Usage(palette, command, $"missing <{missing.Name}> ({missing.Help})");
        if (command.Switches.FirstOrDefault(s => s.Required && !switches.ContainsKey(s.Name)) is { } missingSwitch)
            throw Usage(palette, command, $"missing --{missingSwitch.Name} ({missingSwitch.Help})");
        return new CommandInvocation(palette, command, positionals,
            switches.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal));
    }

    /// <summary><c>30s</c>, <c>5m</c>, <c>2h</c>, <c>1d</c>; null when <paramref name="text"/> is not one.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount)
            || amount > 100_000)
            return null;
        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            _ => null,
        };
    }

    private static void CheckValue(string palette, CommandDefinition command, SwitchDefinition definition, string value)
    {
        var valid = definition.Type switch
        {
            SwitchType.Integer => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            SwitchType.Duration => ParseDuration(value) is not null,
            _ => true,
        };
        if (!valid)
            throw Usage(palette, command, definition.Type == SwitchType.Integer
                ? $"--{definition.Name} must be a whole number, not \"{value}\""
                : $"--{definition.Name} must be a duration such as 30s, 5m, 2h or 1d, not \"{value}\"");
    }

    private static CommandUsageException Usage(string palette, CommandDefinition command, string message) =>
        new(ErrorCodes.Usage, $"{message}\nusage: {palette} {command.Usage()}");
}
