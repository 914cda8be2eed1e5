using Akka.Actor;
using Akka.Event;
using FleetOrchestrator.Edge.Configuration;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// Keeps <see cref="AgentStatus.FileName"/> up to date off the agent's thread. The agent tells it what changed; each change
/// makes a new status, written in the background (atomically, as <see cref="AgentStatus.Write"/> does): writes never overlap
/// and coalesce, so a burst of steps writes only the latest status. The agent answers that a cycle ended (or that the
/// outbox was flushed) through <see cref="AnswerWhenWritten"/>, so whoever reads the file then sees that end.
/// </summary>
public sealed class AgentStatusWriter(EdgeSettings settings, ILoggingAdapter log)
{
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private AgentState _state = AgentState.Empty;
    private int _pendingReports;
    private string _lastResult = "";
    private AgentStatus? _unwritten;
    private bool _writing;
    private Task _written = Task.CompletedTask;

    public void StateChanged(AgentState state)
    {
        _state = state;
        Post();
    }

    public void PendingReportsChanged(int count)
    {
        _pendingReports = count;
        Post();
    }

    public void CycleEnded(string result)
    {
        _lastResult = result;
        Post();
    }

    /// <summary>Tells <paramref name="answer"/> to <paramref name="asker"/> once every status posted so far is written (or its failure logged).</summary>
    public void AnswerWhenWritten(IActorRef asker, object answer) => WhenWritten().PipeTo(asker, success: () => answer);

    /// <summary>Blocks until every status posted so far is written, for at most <see cref="StopLimit"/>: for an agent that stops.</summary>
    public void AwaitWritten() => WhenWritten().Wait(StopLimit);

    private Task WhenWritten()
    {
        lock (_gate) return _written;
    }

    private void Post()
    {
        var status = AgentStatus.Of(settings.DeviceName, _state, _pendingReports, _lastResult);
        lock (_gate)
        {
            _unwritten = status;
            if (_writing) return; // the running write loop picks it up
            _writing = true;
            _written = Task.Run(WriteLatest);
        }
    }

    private void WriteLatest()
    {
        while (true)
        {
            AgentStatus status;
            lock (_gate)
            {
                if (_unwritten is null)
                {
                    _writing = false;
                    return;
                }
                status = _unwritten;
                _unwritten = null;
            }
            try
            {
                AgentStatus.Write(settings, status);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Warning("could not write the status file: {Reason}", e.Message);
            }
        }
    }
}
