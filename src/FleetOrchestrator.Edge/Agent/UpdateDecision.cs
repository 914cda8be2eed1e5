namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// What one update cycle does to the apps of a device. Every list is in ordinal name order.
/// <see cref="Start"/> holds every app that should run afterwards: <c>up</c> is idempotent and also
/// restarts an unchanged app whose containers were stopped.
/// </summary>
/// <param name="Fetch">Apps new to the device or whose URI changed: download, then <see cref="Install"/>.</param>
/// <param name="Install">The same apps as <see cref="Fetch"/>, to extract once fetched.</param>
/// <param name="Start">Every app selected in the new target.</param>
/// <param name="Remove">Apps running now that the new target drops or the selection excludes: <c>down</c> and delete.</param>
/// <param name="Unchanged">Selected apps whose URI is the one already installed.</param>
/// <param name="SelectedButAbsent">Names in the selection that the new target does not have (reported, not an error).</param>
public sealed record AppUpdatePlan(
    IReadOnlyList<string> Fetch,
    IReadOnlyList<string> Install,
    IReadOnlyList<string> Start,
    IReadOnlyList<string> Remove,
    IReadOnlyList<string> Unchanged,
    IReadOnlyList<string> SelectedButAbsent)
{
    /// <summary>Nothing to download, install or remove (the apps may still need an <c>up</c>).</summary>
    public bool ChangesNothing => Fetch.Count == 0 && Remove.Count == 0;
}

/// <summary>The pure decision of an update cycle (REFERENCE "Device agent defaults", <c>compose_apps</c> setting).</summary>
public static class UpdateDecision
{
    /// <param name="installed">App name → URI of what the device runs now (already filtered by the selection it was installed with).</param>
    /// <param name="target">App name → URI of the new target's <c>docker_compose_apps</c>.</param>
    /// <param name="selection">The <c>compose_apps</c> setting: null = every app of the target, empty = none, else these names.</param>
    public static AppUpdatePlan Decide(
        IReadOnlyDictionary<string, string> installed,
        IReadOnlyDictionary<string, string> target,
        IReadOnlyCollection<string>? selection)
    {
        var wanted = selection is null ? null : new HashSet<string>(selection, StringComparer.Ordinal);
        var desired = target
            .Where(app => wanted is null || wanted.Contains(app.Key))
            .ToDictionary(app => app.Key, app => app.Value, StringComparer.Ordinal);

        var changed = Sorted(desired.Where(app => !installed.TryGetValue(app.Key, out var uri) || uri != app.Value).Select(app => app.Key));
        return new AppUpdatePlan(
            Fetch: changed,
            Install: changed,
            Start: Sorted(desired.Keys),
            Remove: Sorted(installed.Keys.Where(name => !desired.ContainsKey(name))),
            Unchanged: Sorted(desired.Where(app => installed.TryGetValue(app.Key, out var uri) && uri == app.Value).Select(app => app.Key)),
            SelectedButAbsent: wanted is null ? [] : Sorted(wanted.Where(name => !target.ContainsKey(name))));
    }

    private static string[] Sorted(IEnumerable<string> names) => names.Order(StringComparer.Ordinal).ToArray();
}
