using System.Text;
using System.Text.RegularExpressions;

namespace FleetOrchestrator.ComposeApps.Ignore;

/// <summary>
/// One rule of an ignore file. Like moby's patternmatcher, simple shapes are matched without a
/// regular expression: a literal pattern by equality, "prefix/**" by prefix and "**/suffix" by
/// suffix; everything else through a regular expression where <c>*</c> and <c>?</c> never cross
/// a '/' and <c>**</c> spans any number of directories.
/// </summary>
internal sealed class IgnorePattern
{
    private enum MatchKind { Exact, Prefix, Suffix, Expression }

    private readonly MatchKind _kind;
    private readonly string _literal;
    private readonly Regex? _expression;

    private IgnorePattern(string cleaned, bool isReinclude, int lineNumber, string source)
    {
        Cleaned = cleaned;
        IsReinclude = isReinclude;
        LineNumber = lineNumber;
        Source = source;
        (_kind, _literal, _expression) = Compile(cleaned, lineNumber);
    }

    /// <summary>The pattern after cleaning, without its <c>!</c>.</summary>
    public string Cleaned { get; }

    /// <summary>True for a <c>!</c> rule, which brings back paths an earlier rule excluded.</summary>
    public bool IsReinclude { get; }

    public int LineNumber { get; }

    /// <summary>The trimmed line as written, for error messages.</summary>
    public string Source { get; }

    /// <summary>Parses a trimmed, non-comment line; null for an empty line.</summary>
    public static IgnorePattern? TryParse(string trimmedLine, int lineNumber)
    {
        if (trimmedLine.Length == 0)
        {
            return null;
        }

        var isReinclude = trimmedLine[0] == '!';
        var pattern = isReinclude ? trimmedLine[1..].Trim() : trimmedLine;
        if (pattern.Length > 0)
        {
            pattern = PathCleaner.Clean(pattern);
            if (pattern.Length > 1 && pattern[0] == '/')
            {
                pattern = pattern[1..];
            }
        }

        // "!" alone, or "!/" which cleans down to it, re-includes nothing and is rejected like moby does.
        if (isReinclude && (pattern.Length == 0 || pattern == "/"))
        {
            throw new IgnoreRulesException($"{IgnoreRules.FileName} line {lineNumber}: \"{trimmedLine}\" is an exclusion without a pattern.");
        }

        return new IgnorePattern(pattern, isReinclude, lineNumber, trimmedLine);
    }

    /// <summary>Matches a cleaned, '/'-separated path relative to the app root.</summary>
    public bool Matches(string path) => _kind switch
    {
        MatchKind.Exact => path == _literal,
        MatchKind.Prefix => path.StartsWith(_literal, StringComparison.Ordinal),
        // "**/name" also matches "name" at the root.
        MatchKind.Suffix => path.EndsWith(_literal, StringComparison.Ordinal)
            || (_literal.StartsWith('/') && path.AsSpan().SequenceEqual(_literal.AsSpan(1))),
        _ => _expression!.IsMatch(path),
    };

    public override string ToString() => IsReinclude ? "!" + Cleaned : Cleaned;

    private static (MatchKind Kind, string Literal, Regex? Expression) Compile(string pattern, int lineNumber)
    {
        var expression = new StringBuilder("^");
        var literal = new StringBuilder();
        var kind = MatchKind.Exact;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    var startsPattern = i == 0;
                    i++;
                    // "**/" is read as "**".
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                    {
                        i++;
                    }

                    if (i + 1 == pattern.Length)
                    {
                        // A trailing "**" matches everything below, like in .gitignore.
                        if (kind == MatchKind.Exact)
                        {
                            kind = MatchKind.Prefix;
                        }
                        else
                        {
                            expression.Append(".*");
                            kind = MatchKind.Expression;
                        }
                    }
                    else
                    {
                        // Zero or more whole directories.
                        expression.Append("(.*/)?");
                        kind = MatchKind.Expression;
                    }

                    if (startsPattern)
                    {
                        kind = MatchKind.Suffix;
                    }

                    break;
                case '*':
                    expression.Append("[^/]*");
                    kind = MatchKind.Expression;
                    break;
                case '?':
                    expression.Append("[^/]");
                    kind = MatchKind.Expression;
                    break;
                case '\\':
                    if (i + 1 == pattern.Length)
                    {
                        throw BadPattern(pattern, lineNumber, "it ends with an unfinished '\\' escape");
                    }

                    i++;
                    expression.Append(Regex.Escape(pattern[i].ToString()));
                    literal.Append(pattern[i]);
                    break;
                case '[':
                    i = AppendCharacterClass(pattern, i, expression, lineNumber);
                    kind = MatchKind.Expression;
                    break;
                default:
                    expression.Append(Regex.Escape(c.ToString()));
                    literal.Append(c);
                    break;
            }
        }

        expression.Append(@"\z");
        return kind switch
        {
            MatchKind.Expression => (kind, "", new Regex(expression.ToString(), RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)),
            // For a suffix match the literal is what follows the leading "**" (including its '/').
            MatchKind.Suffix => (kind, LiteralAfterLeadingStars(pattern), null),
            _ => (kind, literal.ToString(), null),
        };
    }

    private static string LiteralAfterLeadingStars(string pattern)
    {
        var literal = new StringBuilder();
        for (var i = 2; i < pattern.Length; i++)
        {
            // Escapes were validated by Compile; a "**" here would have made this an expression.
            if (pattern[i] == '\\')
            {
                i++;
            }

            literal.Append(pattern[i]);
        }

        return literal.ToString();
    }

    /// <summary>
    /// Appends a "[...]" class starting at <paramref name="start"/>, validating it like Go's
    /// filepath.Match (at least one item, no bare '-' or ']' as a range end, closed); returns the
    /// index of the closing ']'.
    /// </summary>
    private static int AppendCharacterClass(string pattern, int start, StringBuilder expression, int lineNumber)
    {
        var i = start + 1;
        expression.Append('[');
        if (i < pattern.Length && pattern[i] == '^')
        {
            expression.Append('^');
            i++;
        }

        var items = 0;
        while (true)
        {
            if (i >= pattern.Length)
            {
                throw BadPattern(pattern, lineNumber, $"the character class opened at position {start + 1} is not closed");
            }

            if (pattern[i] == ']' && items > 0)
            {
                expression.Append(']');
                return i;
            }

            i = AppendClassChar(pattern, i, expression, lineNumber, start);
            if (i < pattern.Length && pattern[i] == '-')
            {
                expression.Append('-');
                i = AppendClassChar(pattern, i + 1, expression, lineNumber, start);
            }

            items++;
        }
    }

    private static int AppendClassChar(string pattern, int i, StringBuilder expression, int lineNumber, int classStart)
    {
        if (i >= pattern.Length || pattern[i] is '-' or ']')
        {
            throw BadPattern(pattern, lineNumber, $"the character class opened at position {classStart + 1} has an empty or malformed range");
        }

        if (pattern[i] == '\\')
        {
            i++;
            if (i >= pattern.Length)
            {
                throw BadPattern(pattern, lineNumber, "it ends with an unfinished '\\' escape");
            }
        }

        expression.Append(Regex.Escape(pattern[i].ToString()).Replace("]", @"\]", StringComparison.Ordinal).Replace("-", @"\-", StringComparison.Ordinal));
        return i + 1;
    }

    private static IgnoreRulesException BadPattern(string pattern, int lineNumber, string reason) =>
        new($"{IgnoreRules.FileName} line {lineNumber}: pattern \"{pattern}\" is malformed: {reason}.");
}
