namespace FleetOrchestrator.ComposeApps.Bundles;

/// <summary>
/// Decides whether a symbolic link stays inside the app folder the way the kernel would resolve
/// it: component by component, following links met on the way, so "b/../.." through a link b is
/// caught even when the target text alone looks harmless.
/// </summary>
internal static class SymlinkResolver
{
    /// <summary>Links followed before giving up, as the kernel does (ELOOP).</summary>
    private const int MaxHops = 40;

    /// <summary>
    /// Returns why the link at <paramref name="linkPath"/> with <paramref name="target"/> escapes
    /// the root, or null when it resolves inside (a dangling target inside the root is fine).
    /// <paramref name="readLink"/> gives the target of the link at a root-relative path, or null
    /// when that path is not a link.
    /// </summary>
    public static string? FindEscape(string linkPath, string target, Func<string, string?> readLink)
    {
        var resolved = new List<string>(BundlePath.Parent(linkPath).Split('/', StringSplitOptions.RemoveEmptyEntries));
        var pending = new LinkedList<string>();
        if (!Enqueue(pending, target))
        {
            return $"its target \"{target}\" is absolute";
        }

        var hops = 0;
        while (pending.First is { } first)
        {
            var component = first.Value;
            pending.RemoveFirst();
            if (component == ".")
            {
                continue;
            }

            if (component == "..")
            {
                if (resolved.Count == 0)
                {
                    return $"its target \"{target}\" resolves above the app folder";
                }

                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }

            resolved.Add(component);
            if (readLink(string.Join('/', resolved)) is not { } next)
            {
                continue;
            }

            if (++hops > MaxHops)
            {
                return $"its target \"{target}\" goes through more than {MaxHops} links";
            }

            var via = string.Join('/', resolved);
            resolved.RemoveAt(resolved.Count - 1);
            if (!Enqueue(pending, next))
            {
                return $"its target \"{target}\" goes through the link \"{via}\" to the absolute path \"{next}\"";
            }
        }

        return null;
    }

    /// <summary>Puts the components of a relative target in front of the pending ones; false for an absolute target.</summary>
    private static bool Enqueue(LinkedList<string> pending, string target)
    {
        if (target.StartsWith('/'))
        {
            return false;
        }

        var components = target.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = components.Length - 1; i >= 0; i--)
        {
            pending.AddFirst(components[i]);
        }

        return true;
    }
}
