namespace FleetOrchestrator.ComposeApps.Ignore;

/// <summary>Lexical path cleaning with the rules of Go's path.Clean, which moby applies to ignore patterns.</summary>
internal static class PathCleaner
{
    /// <summary>
    /// Collapses repeated '/', drops "." segments, resolves ".." against the segment before it
    /// (a leading ".." is kept, or dropped at the root) and removes a trailing '/'. "" becomes ".".
    /// </summary>
    public static string Clean(string path)
    {
        var rooted = path.StartsWith('/');
        var segments = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (segments.Count > 0 && segments[^1] != "..")
                {
                    segments.RemoveAt(segments.Count - 1);
                }
                else if (!rooted)
                {
                    segments.Add(segment);
                }

                continue;
            }

            segments.Add(segment);
        }

        var joined = string.Join('/', segments);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }
}
