using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Hosting;
using FleetOrchestrator.CommandHost.Palettes;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Audit;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Groups;
using FleetOrchestrator.ControlPlane.Revocations;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Waves;

namespace FleetOrchestrator.CommandHost;

/// <summary>
/// A session's parsed request; its frames go to <see cref="Output"/>, ending with an <see cref="EndFrame"/>. With
/// <see cref="Refusal"/> the session refused it (the role is too low): it is not run, only answered (and audited).
/// </summary>
public sealed record StartCommand(CommandInvocation Invocation, OperatorIdentity Operator, ChannelWriter<ServerFrame> Output, EndFrame? Refusal = null);

/// <summary>
/// Parent of the palette handlers (one child per palette of <see cref="PaletteCatalog.All"/>): gives each
/// request an output actor that feeds the session's channel (and records an audited command's outcome in the
/// audit journal before its end frame), and hands the command to its palette.
/// </summary>
public sealed class CommandHostActor : ReceiveActor
{
    private long _commands;

    public CommandHostActor(CommandHostSettings settings, IReadOnlyActorRegistry registry, FleetTable fleet, TimeProvider time)
    {
        var targets = registry.Get<TargetRegistryActor>();
        var journal = registry.Get<AuditJournalActor>();
        var twins = registry.Get<DeviceTwinActor>();
        var handlers = new Dictionary<string, IActorRef>(StringComparer.Ordinal)
        {
            [PaletteCatalog.Cluster.Name] = Context.ActorOf(Props.Create(() => new ClusterPaletteActor()), PaletteCatalog.Cluster.Name),
            [PaletteCatalog.Sharding.Name] = Context.ActorOf(Props.Create(() => new ShardingPaletteActor(settings.AskTimeout)), PaletteCatalog.Sharding.Name),
            [PaletteCatalog.Actor.Name] = Context.ActorOf(Props.Create(() => new ActorPaletteActor()), PaletteCatalog.Actor.Name),
            [PaletteCatalog.Apps.Name] = Context.ActorOf(Props.Create(() => new AppsPaletteActor(registry, targets, settings.AskTimeout, settings.PublishTimeout)), PaletteCatalog.Apps.Name),
            [PaletteCatalog.Targets.Name] = Context.ActorOf(Props.Create(() => new TargetsPaletteActor(targets, settings.AskTimeout)), PaletteCatalog.Targets.Name),
            [PaletteCatalog.Devices.Name] = Context.ActorOf(Props.Create(() => new DevicesPaletteActor(fleet, twins, registry.Get<DenyListActor>(), settings.AskTimeout, settings.OfflineAfter, time)), PaletteCatalog.Devices.Name),
            [PaletteCatalog.Groups.Name] = Context.ActorOf(Props.Create(() => new GroupsPaletteActor(registry.Get<DeviceGroupsActor>(), fleet, settings.AskTimeout)), PaletteCatalog.Groups.Name),
            [PaletteCatalog.Waves.Name] = Context.ActorOf(Props.Create(() => new WavesPaletteActor(registry.Get<WavesActor>(), settings.AskTimeout)), PaletteCatalog.Waves.Name),
            [PaletteCatalog.Keys.Name] = Context.ActorOf(Props.Create(() => new KeysPaletteActor(targets, settings.AskTimeout)), PaletteCatalog.Keys.Name),
            [PaletteCatalog.Audit.Name] = Context.ActorOf(Props.Create(() => new AuditPaletteActor(journal, new AuditReader(Context.System), settings.AskTimeout, time)), PaletteCatalog.Audit.Name),
        };
        var auditor = new CommandAuditor(journal, Cluster.Get(Context.System).SelfAddress.ToString(), time, settings.AskTimeout);

        var idleLimit = settings.PublishTimeout + TimeSpan.FromMinutes(1);
        Receive<StartCommand>(start =>
        {
            var audit = start.Invocation.Command.Audited ? new CommandAuditor.Pending(auditor, start.Invocation, start.Operator) : null;
            var output = Context.ActorOf(Props.Create(() => new CommandOutputActor(start.Output, idleLimit, audit)), $"output-{++_commands}");
            if (start.Refusal is { } refusal) output.Tell(refusal);
            else handlers[start.Invocation.Palette].Tell(new ExecuteCommand(start.Invocation, start.Operator, output));
        });
    }

    public static Props PropsFor(CommandHostSettings settings, IReadOnlyActorRegistry registry, FleetTable fleet, TimeProvider time) =>
        Props.Create(() => new CommandHostActor(settings, registry, fleet, time));
}

/// <summary>
/// The output of one command: writes frames into the session's channel and stops after the end frame, when
/// the session is gone (the channel closed), or when the handler went silent for too long. For an audited command
/// the end frame (or the idle timeout's) is first recorded in the audit journal and only then written; such an
/// output actor outlives a closed session until the command ends, so a command whose operator hung up is recorded too.
/// </summary>
public sealed class CommandOutputActor : ReceiveActor
{
    private sealed record Recorded(EndFrame End);

    private readonly ChannelWriter<ServerFrame> _output;

    public CommandOutputActor(ChannelWriter<ServerFrame> output, TimeSpan idleLimit, CommandAuditor.Pending? audit)
    {
        _output = output;
        Context.SetReceiveTimeout(idleLimit);
        Receive<EndFrame>(end => End(end, audit));
        Receive<ServerFrame>(frame =>
        {
            if (!output.TryWrite(frame) && audit is null) Context.Stop(Self);
        });
        Receive<ReceiveTimeout>(_ => End(new EndFrame(ExitCodes.Failed, ErrorCodes.Timeout, $"the command produced nothing for {idleLimit}"), audit));
    }

    private void End(EndFrame end, CommandAuditor.Pending? audit)
    {
        if (audit is null)
        {
            Write(end);
            return;
        }
        Context.SetReceiveTimeout(null);
        audit.RecordAsync(end, Context.GetLogger()).PipeTo(Self, success: recorded => new Recorded(recorded));
        // Until recorded, nothing else is written: the end frame is the last frame.
        Become(() => Receive<Recorded>(recorded => Write(recorded.End)));
    }

    private void Write(EndFrame end)
    {
        _output.TryWrite(end);
        _output.TryComplete();
        Context.Stop(Self);
    }
}

/// <summary>Records audited commands' outcomes in the audit journal (<see cref="AuditJournalActor"/>), asking with a timeout.</summary>
public sealed class CommandAuditor(IActorRef journal, string node, TimeProvider time, TimeSpan timeout)
{
    /// <summary>One audited command, waiting for its end frame.</summary>
    public sealed record Pending(CommandAuditor Auditor, CommandInvocation Invocation, OperatorIdentity Operator)
    {
        /// <summary>The end frame to send: <paramref name="end"/> once its entry is persisted, else <see cref="CommandAudit.NotRecorded"/> (and an error logged).</summary>
        public Task<EndFrame> RecordAsync(EndFrame end, ILoggingAdapter log) => Auditor.RecordAsync(Invocation, Operator, end, log);
    }

    private async Task<EndFrame> RecordAsync(CommandInvocation invocation, OperatorIdentity who, EndFrame end, ILoggingAdapter log)
    {
        var entry = CommandAudit.Entry(invocation, who, node, time.GetUtcNow(), end);
        string reason;
        try
        {
            if (await journal.Ask<object>(new RecordAuditEntry(entry), timeout) is AuditEntryStored) return end;
            reason = "the audit journal gave an unexpected answer";
        }
        catch (AskTimeoutException)
        {
            reason = FormattableString.Invariant($"the audit journal did not confirm it within {timeout.TotalSeconds:0.#} s");
        }
        catch (Exception e)
        {
            reason = $"the audit journal failed: {e.Message}";
        }
        log.Error("audit entry not recorded: {0} {1} by {2} ended with exit code {3}: {4}",
            invocation.Palette, invocation.Command.Name, who.Name, end.ExitCode, reason);
        return CommandAudit.NotRecorded(invocation, end, reason);
    }
}
