using Akka.Actor;
using FleetOrchestrator.CommandProtocol;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>The <c>actor</c> palette: this node's actor tree, bounded in depth and size.</summary>
public sealed class ActorPaletteActor() : PaletteActor(PaletteCatalog.Actor)
{
    public const int MaxActors = 2000;
    public const int MaxChildrenShown = 50;

    protected override void Execute(CommandInvocation invocation, CommandOutput output)
    {
        if (invocation.Command.Name != "hierarchy")
        {
            NotImplemented(invocation, output);
            return;
        }
        var depth = invocation.Integer("depth") ?? 4;
        if (depth is < 1 or > 10) throw new CommandFailedException(ErrorCodes.Usage, $"--depth must be 1..10, not {depth}", ExitCodes.Usage);
        var system = (ExtendedActorSystem)Context.System;
        var lines = new List<string>();
        Walk(system.Guardian, 0, (int)depth, lines);
        if (invocation.Flag("system")) Walk(system.SystemGuardian, 0, (int)depth, lines);
        foreach (var line in lines) output.Line(line);
        if (lines.Count >= MaxActors) output.Line($"... stopped after {MaxActors} actors");
        output.End(EndFrame.Ok);
    }

    /// <summary>Local actors only: remote children (e.g. shards on another node) belong to that node's tree.</summary>
    private static void Walk(IActorRef actor, int level, int maxDepth, List<string> lines)
    {
        if (lines.Count >= MaxActors) return;
        lines.Add(level == 0 ? actor.Path.ToStringWithoutAddress() : new string(' ', level * 2) + actor.Path.Name);
        if (actor is not ActorRefWithCell withCell) return;
        var children = withCell.Children.OrderBy(c => c.Path.Name, StringComparer.Ordinal).ToList();
        if (level == maxDepth)
        {
            if (children.Count > 0) lines.Add(new string(' ', (level + 1) * 2) + $"({children.Count} children below --depth)");
            return;
        }
        foreach (var child in children.Take(MaxChildrenShown)) Walk(child, level + 1, maxDepth, lines);
        if (children.Count > MaxChildrenShown) lines.Add(new string(' ', (level + 1) * 2) + $"... {children.Count - MaxChildrenShown} more");
    }
}
