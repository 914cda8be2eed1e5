using Akka.Actor;
using Akka.TestKit.Xunit2;
using FleetOrchestrator.Infrastructure.Hosting;

namespace FleetOrchestrator.Infrastructure.Tests.Hosting;

public sealed class TimerQueueSchedulerTests() : TestKit(TimerQueueScheduler.Hocon)
{
    [Fact]
    public void The_system_uses_it_and_a_tell_arrives_after_its_delay()
    {
        Assert.IsType<TimerQueueScheduler>(Sys.Scheduler);
        var started = Sys.Scheduler.Now;
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(200), TestActor, "once", ActorRefs.NoSender);
        ExpectMsg("once", TimeSpan.FromSeconds(3));
        Assert.True(Sys.Scheduler.Now - started >= TimeSpan.FromMilliseconds(190));
    }

    [Fact]
    public void A_cancelled_timer_never_fires_and_a_repeated_one_repeats_until_cancelled()
    {
        Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromMilliseconds(300), TestActor, "cancelled", ActorRefs.NoSender).Cancel();
        var ticks = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50), TestActor, "tick", ActorRefs.NoSender);
        for (var i = 0; i < 3; i++) ExpectMsg("tick", TimeSpan.FromSeconds(3));
        ticks.Cancel();
        // A tick already on its way may still arrive; none after that, and never the cancelled one (due at 300 ms).
        var late = ReceiveWhile(TimeSpan.FromMilliseconds(700), m => m);
        Assert.DoesNotContain("cancelled", late);
        Assert.True(late.Count <= 1, $"ticks after Cancel: {late.Count}");
    }

    [Fact]
    public void An_action_that_throws_is_logged_and_later_timers_still_run()
    {
        Sys.Scheduler.Advanced.ScheduleOnce(TimeSpan.Zero, () => throw new InvalidOperationException("boom"));
        Sys.Scheduler.Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(50), () => TestActor.Tell("after"));
        ExpectMsg("after", TimeSpan.FromSeconds(3));
    }
}
