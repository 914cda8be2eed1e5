using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Edge.Fetch;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Edge.Tests.Agent;

public sealed class UpdateEndingsTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);

    private static readonly UpdateInProgress Update = new("3-x",
        new DeviceTarget("acme-3", 3, new Dictionary<string, string> { ["web"] = "u3" }),
        new DeviceTarget("acme-2", 2, new Dictionary<string, string> { ["web"] = "u2" }), ["web"], [], UpdatePhase.Started, "acme-3: app web exited");

    [Fact]
    public void A_transient_download_failure_defers_the_target_and_a_permanent_one_marks_it_failed()
    {
        var (deferred, deferredEnd) = UpdateEndings.FetchFailed(Update, new AppFetchException("u3", "timeout", transient: true), At);
        var (refused, refusedEnd) = UpdateEndings.FetchFailed(Update, new AppFetchException("u3", "digest mismatch", transient: false), At);

        Assert.False(deferred.MarkFailed);
        Assert.Equal(CycleResult.Deferred, deferredEnd.Result);
        Assert.StartsWith("download of acme-3 failed, will retry next cycle", deferredEnd.Message);
        Assert.True(refused.MarkFailed);
        Assert.Equal(CycleResult.Refused, refusedEnd.Result);
        Assert.StartsWith("acme-3 refused and marked failed on this device", refusedEnd.Message);
        Assert.Equal((DeviceEventTypes.DownloadCompleted, false), (refused.Report!.EventType.Id, refused.Report.Event.Success));
        Assert.False(refused.RollbackFailed);
    }

    [Fact]
    public void A_confirmed_update_closes_with_a_successful_event_carrying_the_clean_up_notes()
    {
        var (clean, end) = UpdateEndings.Confirmed(Update, "", At);
        var (noted, _) = UpdateEndings.Confirmed(Update, "pruning images: busy", At);

        Assert.Equal(CycleResult.Updated, end.Result);
        Assert.Equal("acme-3 (version 3) is running: web", end.Message);
        Assert.Equal((DeviceEventTypes.InstallationCompleted, true, null), (clean.Report!.EventType.Id, clean.Report.Event.Success, clean.Report.Event.Details));
        Assert.Equal("pruning images: busy", noted.Report!.Event.Details);
        Assert.Equal(clean.Report.Id, noted.Report.Id);
    }

    [Fact]
    public void A_rollback_marks_the_target_failed_and_says_whether_the_previous_apps_came_back()
    {
        var (rolledBack, end) = UpdateEndings.RolledBack(Update, null, At);
        var (broken, brokenEnd) = UpdateEndings.RolledBack(Update, "web: compose failed", At);

        Assert.Equal((true, false, CycleResult.RolledBack), (rolledBack.MarkFailed, rolledBack.RollbackFailed, end.Result));
        Assert.Equal("acme-3: app web exited; rolled back to acme-2", end.Message);
        Assert.Equal((true, true, CycleResult.RollbackFailed), (broken.MarkFailed, broken.RollbackFailed, brokenEnd.Result));
        Assert.Equal("acme-3: app web exited; rollback failed: web: compose failed", brokenEnd.Message);
        Assert.Equal(brokenEnd.Message, broken.Report!.Event.Details);
        Assert.Equal("update failed; rolled back to no apps", UpdateEndings.RolledBack(Update with { Previous = null, RollbackReason = null }, null, At).Finished.Message);
    }
}
