using Akka.Actor;
using Akka.Event;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Protocol.Decisions;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>
/// Base of the palette handlers: one actor per palette, receiving <see cref="ExecuteCommand"/>. Queries run as
/// tasks that only write to the command's output (never to the actor's state), so commands do not queue
/// behind each other and the actor never blocks.
/// </summary>
public abstract class PaletteActor : ReceiveActor
{
    protected readonly ILoggingAdapter Log = Context.GetLogger();

    protected PaletteActor(PaletteDefinition palette)
    {
        Palette = palette;
        Receive<ExecuteCommand>(command =>
        {
            Log.Info("command {0} {1} by {2} (role {3})", palette.Name, command.Invocation.Command.Name, command.Operator.Name, command.Role);
            Operator = command.Operator.Name;
            try
            {
                Execute(command.Invocation, new CommandOutput(command.Output));
            }
            catch (Exception e)
            {
                Finish(new CommandOutput(command.Output), e);
            }
        });
    }

    protected PaletteDefinition Palette { get; }

    /// <summary>
    /// Who runs the command being executed, for what a command records (a revocation's "by"): the name of the session's operator token. Read it in <see cref="Execute"/>, not in the work it runs later.
    /// </summary>
    protected string Operator { get; private set; } = "";

    /// <summary>Runs one command; must end the output exactly once (directly, or through <see cref="Run"/>).</summary>
    protected abstract void Execute(CommandInvocation invocation, CommandOutput output);

    /// <summary>Runs <paramref name="work"/> off the actor and ends the output with success or the failure's reason.</summary>
    protected void Run(CommandOutput output, Func<Task> work)
    {
        var log = Log;
        work().ContinueWith(task =>
        {
            if (task.IsCompletedSuccessfully) output.End(EndFrame.Ok);
            else if (task.IsCanceled) output.Fail(ErrorCodes.Failed, "the command was cancelled");
            else Finish(output, task.Exception!.GetBaseException(), log);
        }, TaskScheduler.Default);
    }

    /// <summary>
    /// Asks <paramref name="target"/> and returns its answer when it is a <typeparamref name="TAnswer"/>. A
    /// <see cref="Refused"/> answer fails the command with its reason (error <paramref name="refusedError"/>, e.g.
    /// <see cref="ErrorCodes.NotFound"/> for a query); any other answer fails it naming the answer's type.
    /// </summary>
    protected internal static async Task<TAnswer> AskAccepted<TAnswer>(IActorRef target, object command, TimeSpan timeout, string refusedError = ErrorCodes.Failed) =>
        await target.Ask<object>(command, timeout) switch
        {
            TAnswer answer => answer,
            Refused refused => throw new CommandFailedException(refusedError, refused.Reason),
            var other => throw new CommandFailedException(ErrorCodes.Failed, $"unexpected answer {other.GetType().Name}"),
        };

    protected static void NotImplemented(CommandInvocation invocation, CommandOutput output) =>
        output.Fail(ErrorCodes.NotImplemented, $"{invocation.Palette} {invocation.Command.Name} is not implemented yet", ExitCodes.NotImplemented);

    private void Finish(CommandOutput output, Exception e) => Finish(output, e, Log);

    private static void Finish(CommandOutput output, Exception e, ILoggingAdapter log)
    {
        switch (e)
        {
            case CommandFailedException failed:
                output.Fail(failed.Error, failed.Message, failed.ExitCode);
                break;
            case AskTimeoutException:
                output.Fail(ErrorCodes.Timeout, $"no answer in time: {e.Message}");
                break;
            default:
                log.Warning(e, "command failed");
                output.Fail(ErrorCodes.Failed, e.Message);
                break;
        }
    }
}
