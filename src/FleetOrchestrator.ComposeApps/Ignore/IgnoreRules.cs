using System.Text;

namespace FleetOrchestrator.ComposeApps.Ignore;

/// <summary>
/// The rules of an app's <c>.composeappignores</c> file, with the semantics of a <c>.dockerignore</c>
/// file as read by moby (ignorefile + patternmatcher): patterns are anchored at the app root,
/// <c>!</c> re-includes, the last matching rule wins, and a rule matching a directory also matches
/// everything below it.
/// </summary>
public sealed class IgnoreRules
{
    /// <summary>Name of the rules file at the root of an app folder.</summary>
    public const string FileName = ".composeappignores";

    /// <summary>The file every app must ship; no rule may discard it.</summary>
    public const string ComposeFileName = "docker-compose.yml";

    /// <summary>Largest accepted rules file, in UTF-8 bytes.</summary>
    public const int MaxContentBytes = 64 * 1024;

    /// <summary>Longest accepted rule line, in UTF-8 bytes.</summary>
    public const int MaxLineBytes = 4 * 1024;

    private readonly IReadOnlyList<IgnorePattern> _patterns;

    private IgnoreRules(IReadOnlyList<IgnorePattern> patterns)
    {
        _patterns = patterns;
        HasReincludes = patterns.Any(p => p.IsReinclude);
    }

    /// <summary>Rules that exclude nothing (an app without a rules file).</summary>
    public static IgnoreRules None { get; } = new([]);

    /// <summary>The effective patterns in file order, <c>!</c>-prefixed when they re-include.</summary>
    public IReadOnlyList<string> Patterns => _patterns.Select(p => p.ToString()).ToList();

    /// <summary>
    /// True when some rule re-includes paths; a walker must then look inside excluded
    /// directories, because a later <c>!</c> rule may bring back something below them.
    /// </summary>
    public bool HasReincludes { get; }

    /// <summary>Parses the content of a rules file.</summary>
    /// <exception cref="IgnoreRulesException">The content is too large, a pattern is malformed, or the rules discard docker-compose.yml.</exception>
    public static IgnoreRules Parse(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var contentBytes = Encoding.UTF8.GetByteCount(content);
        if (contentBytes > MaxContentBytes)
        {
            throw new IgnoreRulesException($"{FileName} is {contentBytes} bytes; the limit is {MaxContentBytes} bytes.");
        }

        var patterns = new List<IgnorePattern>();
        var lineNumber = 0;
        foreach (var rawLine in SplitLines(content))
        {
            lineNumber++;
            var line = rawLine;
            if (lineNumber == 1 && line.StartsWith('\uFEFF'))
            {
                line = line[1..];
            }

            var lineBytes = Encoding.UTF8.GetByteCount(line);
            if (lineBytes > MaxLineBytes)
            {
                throw new IgnoreRulesException($"{FileName} line {lineNumber} is {lineBytes} bytes; the limit is {MaxLineBytes} bytes.");
            }

            // As in moby, a comment is a line whose very first character is '#', checked before trimming.
            if (line.StartsWith('#'))
            {
                continue;
            }

            var pattern = IgnorePattern.TryParse(line.Trim(), lineNumber);
            if (pattern is not null)
            {
                patterns.Add(pattern);
            }
        }

        var rules = new IgnoreRules(patterns);
        var composeRule = rules.FindDecidingRule(ComposeFileName);
        if (composeRule is { IsReinclude: false })
        {
            throw new IgnoreRulesException(
                $"{FileName} line {composeRule.LineNumber} (\"{composeRule.Source}\") discards {ComposeFileName}, which every app must ship.");
        }

        return rules;
    }

    /// <summary>
    /// Reads <c>.composeappignores</c> from an app folder; <see cref="None"/> when the folder has none.
    /// The size is checked before reading so an oversized file is never loaded.
    /// </summary>
    public static async Task<IgnoreRules> LoadAsync(string appDirectory, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(Path.Combine(appDirectory, FileName));
        if (!file.Exists)
        {
            return None;
        }

        if (file.LinkTarget is not null)
        {
            throw new IgnoreRulesException($"{file.FullName} is a symbolic link; the rules file must be a regular file.");
        }

        if (file.Length > MaxContentBytes)
        {
            throw new IgnoreRulesException($"{file.FullName} is {file.Length} bytes; the limit is {MaxContentBytes} bytes.");
        }

        var content = await File.ReadAllTextAsync(file.FullName, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
        return Parse(content);
    }

    /// <summary>
    /// True when the rules exclude the path: the last rule matching the path or one of its parent
    /// directories decides. The path is relative to the app root and '/'-separated.
    /// </summary>
    public bool IsExcluded(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        return FindDecidingRule(relativePath) is { IsReinclude: false };
    }

    /// <summary>The last rule that matches the path or one of its parents, or null when none does.</summary>
    private IgnorePattern? FindDecidingRule(string relativePath)
    {
        var path = PathCleaner.Clean(relativePath);
        var parents = ParentPrefixes(path);
        IgnorePattern? deciding = null;
        foreach (var pattern in _patterns)
        {
            // An exclusion cannot change an excluded path, and a re-include cannot change an included one.
            var excluded = deciding is { IsReinclude: false };
            if (pattern.IsReinclude != excluded)
            {
                continue;
            }

            if (pattern.Matches(path) || parents.Any(pattern.Matches))
            {
                deciding = pattern;
            }
        }

        return deciding;
    }

    /// <summary>"a/b/c" gives "a" and "a/b".</summary>
    private static List<string> ParentPrefixes(string path)
    {
        var parents = new List<string>();
        for (var slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            parents.Add(path[..slash]);
        }

        return parents;
    }

    /// <summary>Splits like Go's bufio line scanner: on '\n', dropping one trailing '\r'.</summary>
    private static IEnumerable<string> SplitLines(string content)
    {
        var lines = content.Split('\n');
        var count = content.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        for (var i = 0; i < count; i++)
        {
            yield return lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
        }
    }
}
