using System.Text;

namespace FleetOrchestrator.ComposeApps.Bundles;

/// <summary>The one accepted shape of a path inside a bundle: relative, '/'-separated, clean.</summary>
internal static class BundlePath
{
    /// <summary>Longest path in bytes (Linux PATH_MAX).</summary>
    public const int MaxPathBytes = 4096;

    /// <summary>Longest path component in bytes (Linux NAME_MAX).</summary>
    public const int MaxNameBytes = 255;

    /// <summary>
    /// Returns why <paramref name="path"/> is not a clean relative path (no leading '/', no empty,
    /// "." or ".." component, no control character, within PATH_MAX/NAME_MAX), or null when it is.
    /// </summary>
    public static string? FindProblem(string path)
    {
        if (path.Length == 0)
        {
            return "the path is empty";
        }

        if (path.StartsWith('/'))
        {
            return "the path is absolute";
        }

        var bytes = Encoding.UTF8.GetByteCount(path);
        if (bytes > MaxPathBytes)
        {
            return $"the path is {bytes} bytes long; the limit is {MaxPathBytes}";
        }

        if (path.Any(char.IsControl))
        {
            return "the path contains a control character";
        }

        foreach (var segment in path.Split('/'))
        {
            switch (segment)
            {
                case "":
                    return "the path has an empty component";
                case ".":
                    return "the path has a \".\" component";
                case "..":
                    return "the path has a \"..\" component";
            }

            if (Encoding.UTF8.GetByteCount(segment) > MaxNameBytes)
            {
                return $"the path component \"{segment[..32]}...\" is longer than {MaxNameBytes} bytes";
            }
        }

        return null;
    }

    /// <summary>Returns why a symbolic link target cannot be stored (empty, control character, over PATH_MAX), or null.</summary>
    public static string? FindLinkTargetProblem(string target)
    {
        if (target.Length == 0)
        {
            return "the target is empty";
        }

        if (target.Any(char.IsControl))
        {
            return $"the target \"{target}\" contains a control character";
        }

        var bytes = Encoding.UTF8.GetByteCount(target);
        return bytes > MaxPathBytes ? $"the target is {bytes} bytes long; the limit is {MaxPathBytes}" : null;
    }

    /// <summary>"a/b/c" gives "a/b"; a top-level path gives "".</summary>
    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    public static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "/" + name;
}
