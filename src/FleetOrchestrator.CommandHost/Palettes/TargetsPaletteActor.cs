using Akka.Actor;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Targets;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>The <c>targets</c> palette: listings read from the target registry's current metadata; <c>tag</c> and <c>prune</c> change its production views.</summary>
public sealed class TargetsPaletteActor(IActorRef targetRegistry, TimeSpan askTimeout) : PaletteActor(PaletteCatalog.Targets)
{
    public static readonly IReadOnlyList<string> ListColumns = ["name", "version", "tags", "hardware ids", "apps", "created", "withdrawn"];

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
                        [t.Name, t.Version, string.Join(",", t.Tags), string.Join(",", t.HardwareIds), string.Join(",", t.Apps.Keys), t.CreatedAt, t.Withdrawn]));
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
                    output.Value(new { target.Name, target.Version, target.Tags, target.HardwareIds, target.Apps, target.CreatedAt, target.Withdrawn, target.Length, target.Hashes, target.Custom });
                });
                return;
            case "tag":
                var tags = invocation.All("tag");
                Change(output, new TagTargets(invocation.Argument("version")!, tags), changed =>
                {
                    var already = tags.Except(changed.Tags).ToList();
                    return changed.Tags.Count == 0
                        ? $"{Describe(changed)} is already in tag {string.Join(", ", already)}; nothing changed"
                        : $"{Describe(changed)} added to tag {string.Join(", ", changed.Tags)}" + (already.Count > 0 ? $" (already in {string.Join(", ", already)})" : "") + Signed(changed);
                });
                return;
            case "prune":
                Change(output, new PruneTargets(invocation.Argument("version")!, invocation.String("tag")!),
                    changed => $"{Describe(changed)} removed from tag {string.Join(", ", changed.Tags)}" + Signed(changed));
                return;
            default:
                NotImplemented(invocation, output);
                return;
        }
    }

    /// <summary>Asks the registry for a tag change and prints its one-line result, or fails with the registry's reason.</summary>
    private void Change(CommandOutput output, object command, Func<TargetTagsChanged, string> describe) => Run(output, async () =>
        output.Line(describe(await AskAccepted<TargetTagsChanged>(targetRegistry, command, askTimeout))));

    private static string Describe(TargetTagsChanged changed) => $"{string.Join(", ", changed.Targets)} (version {changed.Version})";

    private static string Signed(TargetTagsChanged changed) =>
        "; signed targets " + string.Join(", ", changed.TargetsVersionByTag.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key} v{t.Value}"));

    internal static async Task<RepositoryMetadata> MetadataAsync(IActorRef targetRegistry, TimeSpan askTimeout) =>
        await targetRegistry.Ask<RepositoryMetadata>(GetRepositoryMetadata.Instance, askTimeout);
}
