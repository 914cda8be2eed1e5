using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.CommandHost.Palettes;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Groups;
using FleetOrchestrator.ControlPlane.Revocations;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Waves;

namespace FleetOrchestrator.CommandHost;

/// <summary>A session's parsed and authorized request; its frames go to <see cref="Output"/>, ending with an <see cref="EndFrame"/>.</summary>
public sealed record StartCommand(CommandInvocation Invocation, OperatorRole Role, ChannelWriter<ServerFrame> Output);

/// <summary>
/// Parent of the palette handlers (one child per palette of <see cref="PaletteCatalog.All"/>): gives each
/// request an output actor that feeds the session's channel, and hands the command to its palette.
/// </summary>
public sealed class CommandHostActor : ReceiveActor
{
    private long _commands;

    public CommandHostActor(CommandHostSettings settings, IReadOnlyActorRegistry registry, FleetTable fleet, TimeProvider time)
    {
        var targets = registry.Get<TargetRegistryActor>();
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
        };

        var idleLimit = settings.PublishTimeout + TimeSpan.FromMinutes(1);
        Receive<StartCommand>(start =>
        {
            var output = Context.ActorOf(Props.Create(() => new CommandOutputActor(start.Output, idleLimit)), $"output-{++_commands}");
            handlers[start.Invocation.Palette].Tell(new ExecuteCommand(start.Invocation, start.Role, output));
        });
    }

    public static Props PropsFor(CommandHostSettings settings, IReadOnlyActorRegistry registry, FleetTable fleet, TimeProvider time) =>
        Props.Create(() => new CommandHostActor(settings, registry, fleet, time));
}

/// <summary>
/// The output of one command: writes frames into the session's channel and stops after the end frame, when
/// the session is gone (the channel closed), or when the handler went silent for too long.
/// </summary>
public sealed class CommandOutputActor : ReceiveActor
{
    public CommandOutputActor(ChannelWriter<ServerFrame> output, TimeSpan idleLimit)
    {
        Context.SetReceiveTimeout(idleLimit);
        Receive<EndFrame>(end =>
        {
            output.TryWrite(end);
            output.TryComplete();
            Context.Stop(Self);
        });
        Receive<ServerFrame>(frame =>
        {
            if (!output.TryWrite(frame)) Context.Stop(Self);
        });
        Receive<ReceiveTimeout>(_ =>
        {
            output.TryWrite(new EndFrame(ExitCodes.Failed, ErrorCodes.Timeout, $"the command produced nothing for {idleLimit}"));
            output.TryComplete();
            Context.Stop(Self);
        });
    }
}
