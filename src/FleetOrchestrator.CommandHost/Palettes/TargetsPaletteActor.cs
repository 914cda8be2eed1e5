using Akka.Actor;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Targets;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>The <c>targets</c> palette, read from the target registry's current metadata.</summary>
public sealed class TargetsPaletteActor(IActorRef targetRegistry, TimeSpan askTimeout) : PaletteActor(PaletteCatalog.Targets)
{
    public static readonly IReadOnlyList<string> ListColumns = ["name", "version", "tags", "hardware ids", "apps", "created"];

    protected override void Execute(CommandInvocation invocation, CommandOutput output)
    {
        switch (invocation.Command.Name)
        {
            case "list":
                var tag = invocation.String("tag");
                Run(output, async () =>
                {
                    var targets = TargetCatalog.Of(await MetadataAsync(targetRegistry, askTimeout), tag);
                    output.Table(ListColumns, targets.Select(t => (IReadOnlyList<string?>)
                        [t.Name, t.Version, string.Join(",", t.Tags), string.Join(",", t.HardwareIds), string.Join(",", t.Apps.Keys), t.CreatedAt]));
                });
                return;
            case "show":
                var version = invocation.Argument("version")!;
                Run(output, async () =>
                {
                    var targets = TargetCatalog.Of(await MetadataAsync(targetRegistry, askTimeout));
                    var target = TargetCatalog.Find(targets, version)
                        ?? throw new CommandFailedException(ErrorCodes.NotFound, $"no target with version or name \"{version}\"" +
                            (targets.Count == 0 ? " (nothing is published)" : $"; versions: {string.Join(", ", targets.Select(t => t.Version).Distinct().TakeLast(20))}"));
                    output.Value(new { target.Name, target.Version, target.Tags, target.HardwareIds, target.Apps, target.CreatedAt, target.Length, target.Hashes, target.Custom });
                });
                return;
            default:
                NotImplemented(invocation, output);
                return;
        }
    }

    internal static async Task<RepositoryMetadata> MetadataAsync(IActorRef targetRegistry, TimeSpan askTimeout) =>
        await targetRegistry.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, askTimeout);
}
