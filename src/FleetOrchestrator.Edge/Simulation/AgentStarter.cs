using Akka.Actor;
using Akka.Event;
using FleetOrchestrator.Edge.Configuration;

namespace FleetOrchestrator.Edge.Simulation;

/// <summary>
/// Starts the simulated agents a batch per tick and starts again, after a pause, any that stopped. Thousands of
/// agents recovering from one SQLite journal at once would time its circuit breaker out, and a persistent actor
/// whose recovery fails stops: a real device would be restarted by systemd, a simulated one by this.
/// </summary>
public sealed class AgentStarter : ReceiveActor, IWithTimers
{
    public const int BatchSize = 25;
    public static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan RestartAfter = TimeSpan.FromSeconds(5);

    private sealed record StartBatch
    {
        public static StartBatch Instance { get; } = new();
    }

    private sealed record Restart(EdgeSettings Device);

    private readonly Queue<EdgeSettings> _waiting;
    private readonly Dictionary<IActorRef, EdgeSettings> _running = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public AgentStarter(IReadOnlyList<EdgeSettings> devices, Func<EdgeSettings, Props> agentProps)
    {
        _waiting = new Queue<EdgeSettings>(devices);
        Receive<StartBatch>(_ =>
        {
            for (var i = 0; i < BatchSize && _waiting.TryDequeue(out var device); i++)
            {
                var agent = Context.ActorOf(agentProps(device), $"device-agent-{device.DeviceName}");
                Context.Watch(agent);
                _running[agent] = device;
            }
            if (_waiting.Count == 0) Timers.Cancel(nameof(StartBatch));
        });
        Receive<Terminated>(stopped =>
        {
            if (!_running.Remove(stopped.ActorRef, out var device)) return;
            _log.Warning("simulated device {0} stopped; starting it again in {1}", device.DeviceName, RestartAfter);
            Timers.StartSingleTimer(device.DeviceName, new Restart(device), RestartAfter);
        });
        Receive<Restart>(restart =>
        {
            _waiting.Enqueue(restart.Device);
            if (!Timers.IsTimerActive(nameof(StartBatch))) Timers.StartPeriodicTimer(nameof(StartBatch), StartBatch.Instance, TimeSpan.Zero, BatchInterval);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => Timers.StartPeriodicTimer(nameof(StartBatch), StartBatch.Instance, TimeSpan.Zero, BatchInterval);
}
