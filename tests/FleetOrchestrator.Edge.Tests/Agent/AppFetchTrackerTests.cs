using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Edge.Fetch;

namespace FleetOrchestrator.Edge.Tests.Agent;

public sealed class AppFetchTrackerTests
{
    private static readonly UpdateInProgress Update = new("2-x",
        new DeviceTarget("acme-2", 2, new Dictionary<string, string> { ["web"] = "reg/web@sha256:1", ["db"] = "reg/db@sha256:2" }),
        null, ["db", "web"], [], UpdatePhase.Begun, null);

    [Fact]
    public void The_step_is_done_once_every_app_to_install_is_fetched()
    {
        var tracker = new AppFetchTracker(Update, attemptsAllowed: 3);

        Assert.False(tracker.AllFetched);
        tracker.Fetched("db");
        Assert.False(tracker.AllFetched);
        tracker.Fetched("web");
        Assert.True(tracker.AllFetched);
        Assert.True(new AppFetchTracker(Update with { Install = [] }, 3).AllFetched);
    }

    [Fact]
    public void A_transient_failure_is_retried_until_the_apps_attempts_are_used_up()
    {
        var tracker = new AppFetchTracker(Update, attemptsAllowed: 3);
        var unreachable = new HttpRequestException("connection refused");

        Assert.Null(tracker.AttemptFailed("web", unreachable, retrying: true));
        Assert.Null(tracker.AttemptFailed("db", unreachable, retrying: true)); // each app counts its own
        Assert.Null(tracker.AttemptFailed("web", unreachable, retrying: true));
        var error = Assert.IsType<AppFetchException>(tracker.AttemptFailed("web", unreachable, retrying: true));

        Assert.True(error.Transient);
        Assert.Equal("reg/web@sha256:1", error.AppUri);
        Assert.Same(unreachable, error.InnerException);
    }

    [Fact]
    public void A_permanent_failure_ends_the_step_at_once_as_it_is()
    {
        var tracker = new AppFetchTracker(Update, attemptsAllowed: 3);
        var refused = new AppFetchException("reg/web@sha256:1", "digest mismatch", transient: false);

        Assert.Same(refused, tracker.AttemptFailed("web", refused, retrying: false));
        var notRetried = Assert.IsType<AppFetchException>(tracker.AttemptFailed("db", new IOException("disk"), retrying: false));
        Assert.False(notRetried.Transient);
    }

    [Fact]
    public void A_fetcher_that_stops_before_its_app_is_fetched_fails_the_step_with_the_last_error_as_transient()
    {
        var tracker = new AppFetchTracker(Update, attemptsAllowed: 3);
        tracker.Fetched("db");

        Assert.Null(tracker.Stopped("db"));
        var stopped = tracker.Stopped("web")!;
        Assert.True(stopped.Transient);
        Assert.Contains("the fetcher stopped", stopped.Message);

        tracker.AttemptFailed("web", new IOException("disk full"), retrying: true);
        var afterAttempt = tracker.Stopped("web")!;
        Assert.True(afterAttempt.Transient);
        Assert.Contains("disk full", afterAttempt.Message);
    }
}
