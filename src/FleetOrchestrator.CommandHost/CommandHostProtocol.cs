using System.Text.Json;
using Akka.Actor;
using FleetOrchestrator.CommandProtocol;

namespace FleetOrchestrator.CommandHost;

// Local messages between a session and the palette handler actors (never remote, never persisted).

/// <summary>
/// Runs a parsed command: the handler tells <see cref="Output"/> any <see cref="ServerFrame"/>s as they come
/// and exactly one <see cref="EndFrame"/> last. <see cref="Operator"/> is who runs it (the token's name and role).
/// </summary>
public sealed record ExecuteCommand(CommandInvocation Invocation, OperatorIdentity Operator, IActorRef Output)
{
    public OperatorRole Role => Operator.Role;
}

/// <summary>Writing output frames to a command's output actor.</summary>
public readonly record struct CommandOutput(IActorRef Output)
{
    /// <summary>Rows per table frame: keeps frames well below the frame limit.</summary>
    public const int RowsPerFrame = 200;

    public void Line(string text) => Output.Tell(new LineFrame(text));

    public void Table(IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string?>> rows, string? title = null)
    {
        var page = new List<IReadOnlyList<string?>>(RowsPerFrame);
        var sent = false;
        foreach (var row in rows)
        {
            page.Add(row);
            if (page.Count < RowsPerFrame) continue;
            Output.Tell(new TableFrame(columns, page, title));
            page = new List<IReadOnlyList<string?>>(RowsPerFrame);
            sent = true;
        }
        if (page.Count > 0 || !sent) Output.Tell(new TableFrame(columns, page, title));
    }

    public void Progress(string task, string message, long? done = null, long? total = null) => Output.Tell(new ProgressFrame(task, message, done, total));

    public void Value<T>(T value) => Output.Tell(new ValueFrame(JsonSerializer.SerializeToElement(value, FrameCodec.Json)));

    public void End(EndFrame end) => Output.Tell(end);

    public void Fail(string error, string message, int exitCode = ExitCodes.Failed) => Output.Tell(new EndFrame(exitCode, error, message));
}

/// <summary>A command that cannot complete; its message is what the operator reads.</summary>
public sealed class CommandFailedException(string error, string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    public string Error { get; } = error;
    public int ExitCode { get; } = exitCode;
}
