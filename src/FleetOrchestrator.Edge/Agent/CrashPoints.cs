using System.Diagnostics;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// Test-only fault injection: with <c>FLEET_EDGE_CRASH_AT=&lt;point&gt;</c> in its environment the agent kills itself
/// (SIGKILL, like a power cut: no clean-up, no flush) the first time it reaches that named point. The crash tests run
/// an update with each point armed, then run it again unarmed and check the device ends on the old or the new target,
/// complete, with no event lost. Unset (always, outside tests) it does nothing.
/// </summary>
public static class CrashPoints
{
    public const string Variable = "FLEET_EDGE_CRASH_AT";

    /// <summary>A blob is fully downloaded into its partial file, not yet committed to the store.</summary>
    public const string DownloadBeforeCommit = "download-before-commit";
    /// <summary>Every app is fetched and that is recorded; nothing is installed yet.</summary>
    public const string AfterFetchRecorded = "after-fetch-recorded";
    /// <summary>An app is extracted into its staging folder, not yet swapped in.</summary>
    public const string InstallBeforeSwap = "install-before-swap";
    /// <summary>The old app folder is moved aside and the new one not yet in place: no folder under the app's name.</summary>
    public const string InstallBetweenRenames = "install-between-renames";
    /// <summary>Every app is installed and that is recorded; the new apps are not started.</summary>
    public const string AfterInstallRecorded = "after-install-recorded";
    /// <summary>The first app runs the new version, the next still the old one.</summary>
    public const string BetweenAppStarts = "between-app-starts";
    /// <summary>The new apps are up and that is recorded: during the confirmation window.</summary>
    public const string AfterStartRecorded = "after-start-recorded";
    /// <summary>Kept versions dropped and removed apps cleaned up, the confirmation not yet recorded.</summary>
    public const string BeforeConfirmRecorded = "before-confirm-recorded";
    /// <summary>The first app is rolled back, the previous apps not yet started again.</summary>
    public const string DuringRollback = "during-rollback";

    public static IReadOnlyList<string> All { get; } =
    [
        DownloadBeforeCommit, AfterFetchRecorded, InstallBeforeSwap, InstallBetweenRenames, AfterInstallRecorded,
        BetweenAppStarts, AfterStartRecorded, BeforeConfirmRecorded, DuringRollback,
    ];

    private static readonly string? Armed = Environment.GetEnvironmentVariable(Variable);

    public static void Reach(string point)
    {
        if (Armed == point) Process.GetCurrentProcess().Kill();
    }
}
