using Akka.TestKit.Xunit2;
using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Fetch;

namespace FleetOrchestrator.Edge.Tests.Agent;

public sealed class UpdateFetchActorTests : TestKit
{
    private static readonly EdgeSettings Settings = new()
    {
        DataDirectory = "/data/agent", Gateway = new Uri("https://gateway:8443/"), DeviceName = "d1", HardwareId = "rpi4", Tag = "main",
        AppsRoot = "/data/agent/compose-apps", StoreRoot = "/data/agent/store", FetchAttempts = 3, FetchMinBackoff = TimeSpan.FromMilliseconds(10),
    };

    private static UpdateInProgress Update(params string[] apps) => new("4-x",
        new DeviceTarget("acme-4", 4, apps.ToDictionary(app => app, app => $"reg/{app}@sha256:1")), null, apps, [], UpdatePhase.Begun, null);

    [Fact]
    public void Every_app_fetched_is_the_step_done_and_a_transient_failure_is_retried()
    {
        var failedOnce = 0;
        Task Fetch(string uri, CancellationToken ct) =>
            uri.Contains("db") && Interlocked.Increment(ref failedOnce) == 1 ? Task.FromException(new HttpRequestException("refused")) : Task.CompletedTask;

        ChildActorOf(UpdateFetchActor.PropsFor(Update("db", "web"), Fetch, Settings));

        Assert.Equal(new StepDone("4-x", UpdatePhase.Fetched), ExpectMsg<StepDone>(TimeSpan.FromSeconds(5)));
        Assert.Equal(2, failedOnce);
    }

    [Fact]
    public void Nothing_to_fetch_is_the_step_done_at_once()
    {
        ChildActorOf(UpdateFetchActor.PropsFor(Update(), (_, _) => Task.CompletedTask, Settings));

        ExpectMsg<StepDone>();
    }

    [Fact]
    public void Attempts_used_up_fail_the_step_as_transient_and_a_permanent_failure_as_it_is()
    {
        ChildActorOf(UpdateFetchActor.PropsFor(Update("web"), (_, _) => Task.FromException(new HttpRequestException("refused")), Settings));
        var usedUp = ExpectMsg<StepFailed>(TimeSpan.FromSeconds(5));
        Assert.True(Assert.IsType<AppFetchException>(usedUp.Error).Transient);

        var refused = new AppFetchException("reg/web@sha256:1", "digest mismatch", transient: false);
        ChildActorOf(UpdateFetchActor.PropsFor(Update("web"), (_, _) => Task.FromException(refused), Settings));
        Assert.Same(refused, ExpectMsg<StepFailed>(TimeSpan.FromSeconds(5)).Error);
    }

    [Fact]
    public void An_invalid_app_name_fails_the_step_before_any_fetch()
    {
        var fetched = 0;
        ChildActorOf(UpdateFetchActor.PropsFor(Update("web", "../etc"), (_, _) => Task.FromResult(Interlocked.Increment(ref fetched)), Settings));

        Assert.IsType<ArgumentException>(ExpectMsg<StepFailed>().Error);
        Assert.Equal(0, fetched);
    }
}
