using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace FleetOrchestrator.Infrastructure.Hosting;

/// <summary>
/// Akka's scheduler on .NET timers (<c>akka.scheduler.implementation</c>): between due times nothing runs. Akka's
/// <see cref="HashedWheelTimerScheduler"/> wakes every <c>tick-duration</c> for the ActorSystem's whole life once
/// anything was scheduled (each persistent actor's recovery timeout is), which was nearly all of an idle agent's CPU.
/// An agent has a handful of timers seconds to minutes apart; the runtime's timer queue keeps them at no cost.
/// </summary>
public sealed class TimerQueueScheduler(Config config, ILoggingAdapter log) : SchedulerBase(config, log), IDateTimeOffsetNowTimeProvider, IDisposable
{
    private readonly ConcurrentDictionary<Scheduled, byte> _pending = new();
    private static readonly long Started = Stopwatch.GetTimestamp();
    private volatile bool _disposed;

    /// <summary>The HOCON that makes an ActorSystem use this scheduler.</summary>
    public static string Hocon => $"akka.scheduler.implementation = \"{typeof(TimerQueueScheduler).FullName}, {typeof(TimerQueueScheduler).Assembly.GetName().Name}\"";

    protected override DateTimeOffset TimeNow => DateTimeOffset.Now;

    public override TimeSpan MonotonicClock => Stopwatch.GetElapsedTime(Started);

    public override TimeSpan HighResMonotonicClock => MonotonicClock;

    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Schedule(delay, Timeout.InfiniteTimeSpan, () => receiver.Tell(message, sender), cancelable);

    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Schedule(initialDelay, interval, () => receiver.Tell(message, sender), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Schedule(delay, Timeout.InfiniteTimeSpan, action, cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Schedule(delay, Timeout.InfiniteTimeSpan, action.Run, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, action, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, action.Run, cancelable);

    private void Schedule(TimeSpan delay, TimeSpan interval, Action action, ICancelable? cancelable)
    {
        if (_disposed) throw new SchedulerException("cannot enqueue after timer shutdown");
        if (cancelable is { IsCancellationRequested: true }) return;
        _ = new Scheduled(this, delay, interval, action, cancelable);
    }

    /// <summary>Pending timers are dropped: the ActorSystem is terminating.</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (var scheduled in _pending.Keys) scheduled.Stop();
    }

    /// <summary>One timer; kept in <see cref="_pending"/> (a timer nobody references is collected unfired) until it fires once or is cancelled.</summary>
    private sealed class Scheduled
    {
        private readonly TimerQueueScheduler _owner;
        private readonly Action _action;
        private readonly TimeSpan _interval;
        private readonly ICancelable? _cancelable;
        private readonly Timer _timer;
        private readonly CancellationTokenRegistration _registration;
        private volatile bool _stopped;

        public Scheduled(TimerQueueScheduler owner, TimeSpan delay, TimeSpan interval, Action action, ICancelable? cancelable)
        {
            _owner = owner;
            _action = action;
            _interval = interval;
            _cancelable = cancelable;
            owner._pending.TryAdd(this, 0);
            // It may fire before the constructor returns: Fire uses only the fields set above.
            _timer = new Timer(static s => ((Scheduled)s!).Fire(), this, delay, interval);
            if (cancelable is not null) _registration = cancelable.Token.Register(static s => ((Scheduled)s!).Stop(), this);
            // Stopped while constructing (fired, or cancelled, before the fields above were set): release what Stop could not see.
            if (_stopped) Stop();
        }

        private void Fire()
        {
            if (_cancelable is { IsCancellationRequested: true } || _owner._disposed)
            {
                Stop();
                return;
            }
            if (_interval == Timeout.InfiniteTimeSpan) Stop();
            try
            {
                _action();
            }
            catch (SchedulerException)
            {
                // from a terminated actor, as Akka's own scheduler ignores it
            }
            catch (Exception e)
            {
                _owner.Log.Error(e, "Exception while executing timer task.");
            }
        }

        public void Stop()
        {
            _stopped = true;
            _owner._pending.TryRemove(this, out _);
            // Null only when it fired before its constructor finished; the constructor then calls Stop again.
            _timer?.Dispose();
            _registration.Dispose();
        }
    }
}
