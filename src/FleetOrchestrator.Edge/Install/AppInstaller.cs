using FleetOrchestrator.ComposeApps.Bundles;
using FleetOrchestrator.Edge.Fetch;
using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.Edge.Install;

/// <summary>
/// Puts fetched apps in place under <c>&lt;apps-root&gt;/&lt;app&gt;</c>, keeping the last confirmed version until
/// the new one is confirmed, so a failed update can be rolled back. The app folder is always one complete
/// version (old or new): the new one is extracted and verified beside it, then swapped in by renames.
/// <para>Layout beside each app (same file system, so renames are atomic):
/// <c>.&lt;app&gt;.previous/</c> the last confirmed version while an install is pending;
/// <c>.&lt;app&gt;.install-pending</c> a marker written before anything moves, saying whether a previous version existed.</para>
/// Not thread-safe per app: one agent drives one app at a time.
/// </summary>
public sealed class AppInstaller
{
    private const string PendingHadPrevious = "previous";
    private const string PendingWasNew = "none";

    private readonly BundleLimits _limits;

    public AppInstaller(string appsRoot, BundleLimits? limits = null)
    {
        AppsRoot = Path.GetFullPath(appsRoot);
        _limits = limits ?? BundleLimits.Default;
        Directory.CreateDirectory(AppsRoot);
        RemoveLeftovers();
    }

    public string AppsRoot { get; }

    /// <summary>The app is both a folder here and a compose project: <see cref="Names.App"/> allows only names that are both.</summary>
    /// <exception cref="ArgumentException">The name breaks <see cref="Names.App"/>.</exception>
    public static void ValidateAppName(string app)
    {
        if (Names.App.Problem(app) is { } invalid) throw new ArgumentException(invalid, nameof(app));
    }

    public string AppDirectory(string app)
    {
        ValidateAppName(app);
        return Path.Combine(AppsRoot, app);
    }

    /// <summary>True between <see cref="InstallAsync"/> and <see cref="Confirm"/> or <see cref="RollBack"/>.</summary>
    public bool IsPending(string app) => File.Exists(PendingMarker(app));

    public bool IsInstalled(string app) => Directory.Exists(AppDirectory(app));

    /// <summary>The version kept for a rollback while an install is pending; null when there is none.</summary>
    public string? KeptVersionDirectory(string app) => IsPending(app) && Directory.Exists(PreviousDirectory(app)) ? PreviousDirectory(app) : null;

    /// <summary>
    /// Extracts <paramref name="fetched"/> (every file checked against the bundle index) and swaps it in as
    /// <paramref name="app"/>. The version it replaces is kept until <see cref="Confirm"/>; when an install is
    /// already pending, the unconfirmed version is dropped and the kept one stays.
    /// </summary>
    /// <exception cref="BundleException">The bundle is refused or does not match its index; the installed app is untouched.</exception>
    public async Task<string> InstallAsync(string app, FetchedApp fetched, CancellationToken ct)
    {
        var target = AppDirectory(app);
        var incoming = Path.Combine(AppsRoot, $".{app}.incoming");
        DeleteDirectory(incoming);
        var index = BundleIndex.Parse(await File.ReadAllBytesAsync(fetched.IndexPath, ct), _limits);
        await using (var bundle = new FileStream(fetched.BundlePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous))
            await BundleReader.ExtractAsync(bundle, index, incoming, _limits, ct);
        Agent.CrashPoints.Reach(Agent.CrashPoints.InstallBeforeSwap);

        if (IsPending(app))
        {
            SetAside(target); // an unconfirmed version: the kept one stays the rollback point
        }
        else
        {
            var hadPrevious = Directory.Exists(target);
            await File.WriteAllTextAsync(PendingMarker(app), hadPrevious ? PendingHadPrevious : PendingWasNew, ct);
            if (hadPrevious) Directory.Move(target, PreviousDirectory(app));
        }
        Agent.CrashPoints.Reach(Agent.CrashPoints.InstallBetweenRenames);
        Directory.Move(incoming, target);
        return target;
    }

    /// <summary>The new version is good: forget the previous one.</summary>
    public void Confirm(string app)
    {
        if (!IsPending(app)) return;
        DeleteDirectory(PreviousDirectory(app));
        File.Delete(PendingMarker(app));
    }

    /// <summary>
    /// Back to the version before the pending install: the kept folder is restored, or, if the app was new,
    /// the app folder is removed. Safe to call again after a crash part-way; a no-op when nothing is pending.
    /// Stop the app's containers first (<c>down</c>), and start the restored version afterwards.
    /// </summary>
    public void RollBack(string app)
    {
        if (!IsPending(app)) return;
        var target = AppDirectory(app);
        var previous = PreviousDirectory(app);
        var hadPrevious = File.ReadAllText(PendingMarker(app)) == PendingHadPrevious;
        // When the kept folder is gone although there was one, it was already moved back (a crash after that
        // step): the app folder is the previous version and stays.
        if (!hadPrevious || Directory.Exists(previous)) SetAside(target);
        if (Directory.Exists(previous)) Directory.Move(previous, target);
        File.Delete(PendingMarker(app));
    }

    /// <summary>Deletes an app that the target no longer has (after <c>down</c>), with any kept version.</summary>
    public void Remove(string app)
    {
        SetAside(AppDirectory(app));
        DeleteDirectory(PreviousDirectory(app));
        File.Delete(PendingMarker(app));
    }

    /// <summary>Folders a crash can leave behind: half-written extractions and folders set aside for deletion. Never an app or a kept version.</summary>
    private void RemoveLeftovers()
    {
        foreach (var directory in Directory.EnumerateDirectories(AppsRoot, ".*"))
        {
            var name = Path.GetFileName(directory);
            if (name.EndsWith(".incoming", StringComparison.Ordinal) || name.Contains(".discarded-", StringComparison.Ordinal)
                || name.Contains(".incoming.staging-", StringComparison.Ordinal))
                DeleteDirectory(directory);
        }
    }

    private string PreviousDirectory(string app) => Path.Combine(AppsRoot, $".{app}.previous");

    private string PendingMarker(string app)
    {
        ValidateAppName(app);
        return Path.Combine(AppsRoot, $".{app}.install-pending");
    }

    /// <summary>Renames a folder out of the way first (atomic), then deletes it: a crash leaves no half-deleted app under its name.</summary>
    private void SetAside(string directory)
    {
        if (!Directory.Exists(directory)) return;
        var discarded = Path.Combine(AppsRoot, $".{Path.GetFileName(directory)}.discarded-{Guid.NewGuid():N}");
        Directory.Move(directory, discarded);
        DeleteDirectory(discarded);
    }

    private static void DeleteDirectory(string directory)
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }
}
