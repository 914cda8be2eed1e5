using System.Text;

namespace FleetOrchestrator.CommandProtocol;

/// <summary>The interactive line: splitting it into tokens and offering completions from the host's palettes.</summary>
public static class CommandLineText
{
    /// <summary>Built-in words of the interactive mode besides the palettes.</summary>
    public static readonly IReadOnlyList<string> InteractiveWords = ["help", "exit"];

    /// <summary>Splits on whitespace; single or double quotes keep spaces; a backslash escapes the next character.</summary>
    public static IReadOnlyList<string> Split(string line)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        var inToken = false;
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\' && i + 1 < line.Length)
            {
                current.Append(line[++i]);
                inToken = true;
            }
            else if (quote is { } q)
            {
                if (c == q) quote = null;
                else current.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inToken = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inToken) tokens.Add(current.ToString());
                current.Clear();
                inToken = false;
            }
            else
            {
                current.Append(c);
                inToken = true;
            }
        }
        if (quote is not null) throw new FormatException($"unclosed {quote} quote");
        if (inToken) tokens.Add(current.ToString());
        return tokens;
    }

    /// <summary>The inverse of <see cref="Split"/>: tokens with spaces, quotes or backslashes (or empty) are double-quoted and escaped.</summary>
    public static string Join(IEnumerable<string> tokens) => string.Join(' ', tokens.Select(Quote));

    private static string Quote(string token) =>
        token.Length > 0 && !token.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\')
            ? token
            : "\"" + token.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>
    /// The words that can complete the last (partial) word of <paramref name="line"/>: palettes and the
    /// interactive words first, then the palette's commands, then the command's switches not used yet.
    /// </summary>
    public static IReadOnlyList<string> Complete(IReadOnlyList<PaletteDefinition> palettes, string line)
    {
        IReadOnlyList<string> words;
        try
        {
            words = Split(line);
        }
        catch (FormatException)
        {
            return [];
        }
        var endsWithSpace = line.Length == 0 || char.IsWhiteSpace(line[^1]);
        var done = endsWithSpace ? words : words.Take(words.Count - 1).ToList();
        var partial = endsWithSpace ? "" : words[^1];
        IEnumerable<string> candidates;
        if (done.Count == 0)
        {
            candidates = palettes.Select(p => p.Name).Concat(InteractiveWords);
        }
        else if (done[0] == "help")
        {
            candidates = done.Count == 1 ? palettes.Select(p => p.Name) : [];
        }
        else if (palettes.FirstOrDefault(p => p.Name == done[0]) is not { } palette)
        {
            candidates = [];
        }
        else if (done.Count == 1)
        {
            candidates = palette.Commands.Select(c => c.Name);
        }
        else if (palette.Command(done[1]) is { } command)
        {
            var used = done.Skip(2).ToHashSet(StringComparer.Ordinal);
            candidates = command.Switches.Where(s => s.Repeatable || !used.Contains("--" + s.Name)).Select(s => "--" + s.Name);
        }
        else
        {
            candidates = [];
        }
        return candidates.Where(c => c.StartsWith(partial, StringComparison.Ordinal)).Distinct().ToList();
    }
}
