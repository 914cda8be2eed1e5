using System.Text;

namespace FleetOrchestrator.Pbm;

/// <summary>
/// The interactive prompt: editing, history (up/down) and tab completion from a completion function.
/// With redirected input it reads plain lines, so scripts and tests can drive the interactive mode.
/// </summary>
public sealed class LineEditor(Func<string, IReadOnlyList<string>> complete)
{
    private readonly List<string> _history = [];

    /// <summary>The next line, or null at the end of input (Ctrl-D on an empty line).</summary>
    public string? ReadLine(string prompt)
    {
        Console.Write(prompt);
        if (Console.IsInputRedirected)
        {
            var line = Console.ReadLine();
            if (line is not null) Console.WriteLine(line);
            return line;
        }
        var buffer = new StringBuilder();
        var cursor = 0;
        var historyIndex = _history.Count;
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    var text = buffer.ToString();
                    if (text.Trim().Length > 0 && (_history.Count == 0 || _history[^1] != text)) _history.Add(text);
                    return text;
                case ConsoleKey.Tab:
                    var before = buffer.ToString(0, cursor);
                    var candidates = complete(before);
                    var word = WordBeforeCursor(before);
                    var common = CommonPrefix(candidates);
                    if (candidates.Count == 1) common += " ";
                    if (common.Length > word.Length)
                    {
                        var insert = common[word.Length..];
                        buffer.Insert(cursor, insert);
                        cursor += insert.Length;
                    }
                    else if (candidates.Count > 1)
                    {
                        Console.WriteLine();
                        Console.WriteLine(string.Join("  ", candidates));
                    }
                    break;
                case ConsoleKey.Backspace when cursor > 0:
                    buffer.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete when cursor < buffer.Length:
                    buffer.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when cursor > 0:
                    cursor--;
                    break;
                case ConsoleKey.RightArrow when cursor < buffer.Length:
                    cursor++;
                    break;
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                    cursor = buffer.Length;
                    break;
                case ConsoleKey.UpArrow when historyIndex > 0:
                    buffer.Clear().Append(_history[--historyIndex]);
                    cursor = buffer.Length;
                    break;
                case ConsoleKey.DownArrow when historyIndex < _history.Count:
                    historyIndex++;
                    buffer.Clear().Append(historyIndex == _history.Count ? "" : _history[historyIndex]);
                    cursor = buffer.Length;
                    break;
                case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && buffer.Length == 0:
                    Console.WriteLine();
                    return null;
                default:
                    if (!char.IsControl(key.KeyChar))
                    {
                        buffer.Insert(cursor++, key.KeyChar);
                    }
                    break;
            }
            Redraw(prompt, buffer, cursor);
        }
    }

    private static void Redraw(string prompt, StringBuilder buffer, int cursor)
    {
        Console.Write("\r\u001b[K" + prompt + buffer);
        var back = buffer.Length - cursor;
        if (back > 0) Console.Write($"\u001b[{back}D");
    }

    private static string WordBeforeCursor(string before) =>
        before.Length == 0 || char.IsWhiteSpace(before[^1]) ? "" : before[(before.LastIndexOfAny([' ', '\t']) + 1)..];

    internal static string CommonPrefix(IReadOnlyList<string> words)
    {
        if (words.Count == 0) return "";
        var prefix = words[0];
        foreach (var word in words.Skip(1))
        {
            var n = 0;
            while (n < prefix.Length && n < word.Length && prefix[n] == word[n]) n++;
            prefix = prefix[..n];
        }
        return prefix;
    }
}
