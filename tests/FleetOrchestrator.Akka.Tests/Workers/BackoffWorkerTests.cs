using Akka.Actor;
using Akka.TestKit.Xunit2;
using FleetOrchestrator.Infrastructure.Workers;

namespace FleetOrchestrator.Infrastructure.Tests.Workers;

public sealed class BackoffWorkerTests : TestKit
{
    private sealed record Done(object Result);
    private sealed record Failed(string Reason, bool Retrying);

    private sealed class Transient(string message) : Exception(message);

    private static readonly BackoffReports Reports = new(result => new Done(result), (error, retrying) => new Failed(error.Message, retrying));

    private static readonly BackoffPolicy Quick = new(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), MaxRetries: 3);

    private IActorRef Start(Func<CancellationToken, Task<object>> job, BackoffPolicy? policy = null)
    {
        var supervisor = Sys.ActorOf(BackoffWorker.Supervised(job, e => e is Transient, Reports, TestActor, policy ?? Quick));
        Watch(supervisor);
        return supervisor;
    }

    [Fact]
    public void A_success_is_reported_once_and_the_worker_stops()
    {
        var supervisor = Start(async _ =>
        {
            await Task.Yield();
            return "built";
        });

        Assert.Equal("built", ExpectMsg<Done>().Result);
        ExpectTerminated(supervisor);
    }

    [Fact]
    public void Transient_failures_are_reported_as_retrying_and_run_the_job_again_until_it_succeeds()
    {
        var attempts = 0;
        var supervisor = Start(_ => Interlocked.Increment(ref attempts) < 3
            ? Task.FromException<object>(new Transient($"registry down ({attempts})"))
            : Task.FromResult<object>("pushed"));

        Assert.Equal(new Failed("registry down (1)", Retrying: true), ExpectMsg<Failed>());
        Assert.Equal(new Failed("registry down (2)", Retrying: true), ExpectMsg<Failed>());
        Assert.Equal("pushed", ExpectMsg<Done>().Result);
        ExpectTerminated(supervisor);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public void A_permanent_failure_is_reported_once_and_never_retried()
    {
        var attempts = 0;
        var supervisor = Start(_ =>
        {
            Interlocked.Increment(ref attempts);
            return Task.FromException<object>(new InvalidDataException("digest mismatch"));
        });

        Assert.Equal(new Failed("digest mismatch", Retrying: false), ExpectMsg<Failed>());
        ExpectTerminated(supervisor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(1, attempts);
    }

    [Fact]
    public void When_the_retries_are_used_up_the_supervisor_stops_without_a_success()
    {
        var supervisor = Start(_ => Task.FromException<object>(new Transient("still down")), Quick with { MaxRetries = 1 });

        // The first attempt and the one restart both fail; then the supervisor gives up.
        Assert.Equal(new Failed("still down", Retrying: true), ExpectMsg<Failed>());
        Assert.Equal(new Failed("still down", Retrying: true), ExpectMsg<Failed>());
        ExpectTerminated(supervisor);
    }

    [Fact]
    public void An_error_the_job_wraps_alone_in_an_AggregateException_is_reported_unwrapped()
    {
        Start(_ => Task.FromException<object>(new AggregateException(new Transient("unwrapped"))), Quick with { MaxRetries = 0 });

        Assert.Equal(new Failed("unwrapped", Retrying: true), ExpectMsg<Failed>());
    }

    [Fact]
    public void Stopping_the_supervisor_cancels_the_running_job()
    {
        var started = new TaskCompletionSource();
        var cancelled = new TaskCompletionSource();
        var supervisor = Start(async ct =>
        {
            await using var _ = ct.Register(() => cancelled.TrySetResult());
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return "never";
        });
        // Stopped before its job ran, the worker would have nothing to cancel: stop it once the job runs.
        Assert.True(started.Task.Wait(TimeSpan.FromSeconds(10)), "the job never started");

        Sys.Stop(supervisor);
        ExpectTerminated(supervisor);
        Assert.True(cancelled.Task.Wait(TimeSpan.FromSeconds(3)), "the job's token was not cancelled");
    }
}
