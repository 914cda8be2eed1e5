using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Audit;

namespace FleetOrchestrator.CommandHost;

/// <summary>
/// What the audit journal records of a command, from its definition alone (<see cref="CommandDefinition.Audited"/>,
/// secret arguments and switches), so every palette — and every command added later — is audited the same way.
/// </summary>
public static class CommandAudit
{
    /// <summary>Longest reason kept in an entry; a longer one is cut and marked.</summary>
    public const int MaxReasonLength = 2048;

    /// <summary>The arguments as parsed, positionals first then switches in definition order; secret values elided.</summary>
    public static IReadOnlyList<string> Arguments(CommandInvocation invocation)
    {
        var arguments = new List<string>();
        foreach (var argument in invocation.Command.Arguments)
            if (invocation.Arguments.TryGetValue(argument.Name, out var value)) arguments.Add(argument.Secret ? AuditEntry.Elided : value);
        foreach (var definition in invocation.Command.Switches)
        {
            if (!invocation.Switches.TryGetValue(definition.Name, out var values)) continue;
            foreach (var value in values)
            {
                arguments.Add("--" + definition.Name);
                if (definition.Type != SwitchType.Flag) arguments.Add(definition.Secret ? AuditEntry.Elided : value);
            }
        }
        return arguments;
    }

    /// <summary>Accepted (exit 0); refused when the host or handler refused the request before running it (usage, forbidden, not implemented); else failed.</summary>
    public static string Outcome(EndFrame end) => end.ExitCode switch
    {
        ExitCodes.Ok => AuditEntry.Accepted,
        ExitCodes.Usage or ExitCodes.Forbidden or ExitCodes.NotImplemented => AuditEntry.Refused,
        _ => AuditEntry.Failed,
    };

    public static AuditEntry Entry(CommandInvocation invocation, OperatorIdentity who, string node, DateTimeOffset time, EndFrame end) =>
        new(time, node, who.Name, who.Role.ToString().ToLowerInvariant(), invocation.Palette, invocation.Command.Name, Arguments(invocation),
            Outcome(end), end.ExitCode, end.Error, Reason(invocation, end.Message));

    /// <summary>The answer's message, cut to <see cref="MaxReasonLength"/>, with any secret value it quotes elided (a refusal may echo the bad argument).</summary>
    private static string? Reason(CommandInvocation invocation, string? message)
    {
        if (message is null) return null;
        var secrets = invocation.Command.Arguments.Where(a => a.Secret).Select(a => invocation.Argument(a.Name))
            .Concat(invocation.Command.Switches.Where(s => s.Secret).SelectMany(s => invocation.All(s.Name)))
            .OfType<string>().Where(v => v.Length > 0).OrderByDescending(v => v.Length);
        foreach (var secret in secrets) message = message.Replace(secret, AuditEntry.Elided, StringComparison.Ordinal);
        return message.Length > MaxReasonLength ? message[..MaxReasonLength] + "…" : message;
    }

    /// <summary>
    /// The answer when the entry could not be recorded: exit 1, <see cref="ErrorCodes.AuditFailed"/>, and a message that
    /// says what the command did (its effect stands: the journal failing undoes nothing) and why nothing was recorded.
    /// </summary>
    public static EndFrame NotRecorded(CommandInvocation invocation, EndFrame end, string reason)
    {
        var command = $"{invocation.Palette} {invocation.Command.Name}";
        var did = Outcome(end) switch
        {
            AuditEntry.Accepted => $"{command} succeeded and its change stands",
            AuditEntry.Refused => $"{command} was refused ({end.Message}) and changed nothing",
            _ => $"{command} failed ({end.Error}: {end.Message}); whatever it changed before failing stands",
        };
        return new EndFrame(ExitCodes.Failed, ErrorCodes.AuditFailed, $"{did}, but its audit journal entry was not recorded: {reason}");
    }
}
