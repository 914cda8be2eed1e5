namespace FleetOrchestrator.Oci;

/// <summary>
/// One challenge of a <c>WWW-Authenticate</c> header (RFC 7235): a scheme and its parameters, e.g.
/// <c>Bearer realm="https://auth",service="registry",scope="repository:a/b:pull,push"</c>.
/// Quoted values may hold commas, spaces and backslash escapes.
/// </summary>
internal sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    private const int MaxHeaderLength = 8192;

    public string? this[string name] => Parameters.GetValueOrDefault(name);

    /// <summary>All challenges in one header value; malformed trailing input ends the parse with what was read so far.</summary>
    public static IReadOnlyList<AuthChallenge> ParseAll(string header)
    {
        var challenges = new List<AuthChallenge>();
        if (header.Length > MaxHeaderLength) return challenges;
        var position = 0;
        while (true)
        {
            SkipSeparators(header, ref position);
            var scheme = ReadToken(header, ref position);
            if (scheme.Length == 0) return challenges;
            var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (true)
            {
                SkipSeparators(header, ref position);
                var start = position;
                var name = ReadToken(header, ref position);
                SkipSpaces(header, ref position);
                if (name.Length == 0 || position >= header.Length || header[position] != '=')
                {
                    // Not a parameter: the next challenge's scheme starts here.
                    position = start;
                    break;
                }
                position++;
                SkipSpaces(header, ref position);
                parameters[name] = position < header.Length && header[position] == '"'
                    ? ReadQuoted(header, ref position)
                    : ReadToken(header, ref position);
            }
            challenges.Add(new AuthChallenge(scheme, parameters));
            if (position >= header.Length) return challenges;
        }
    }

    private static void SkipSpaces(string s, ref int i) { while (i < s.Length && s[i] is ' ' or '\t') i++; }

    private static void SkipSeparators(string s, ref int i) { while (i < s.Length && s[i] is ' ' or '\t' or ',') i++; }

    private static string ReadToken(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && s[i] is not (' ' or '\t' or ',' or '=' or '"')) i++;
        return s[start..i];
    }

    private static string ReadQuoted(string s, ref int i)
    {
        var value = new System.Text.StringBuilder();
        i++; // opening quote
        while (i < s.Length && s[i] != '"')
        {
            if (s[i] == '\\' && i + 1 < s.Length) i++;
            value.Append(s[i++]);
        }
        if (i < s.Length) i++; // closing quote
        return value.ToString();
    }
}
