using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.Publishing;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>The <c>apps</c> palette: publishing through this node's publisher, and the apps of the published targets.</summary>
public sealed class AppsPaletteActor(IReadOnlyActorRegistry registry, IActorRef targetRegistry, TimeSpan askTimeout, TimeSpan publishTimeout) : PaletteActor(PaletteCatalog.Apps)
{
    private long _publishes;

    protected override void Execute(CommandInvocation invocation, CommandOutput output)
    {
        switch (invocation.Command.Name)
        {
            case "publish":
                // The publisher runs on nodes of the publisher role; this node hosts it in embedded mode.
                if (!registry.TryGet<PublisherActor>(out var publisher))
                    throw new CommandFailedException(ErrorCodes.Failed, $"this node has no publisher (role {PublishingHosting.Role}); run the command on a publisher node");
                var hardwareIds = invocation.All("hardware-id");
                var request = new PublishTarget(PublishTarget.NewJobId(), invocation.String("repo")!, invocation.String("ref") ?? "HEAD",
                    invocation.String("tag") ?? PublishRequest.DefaultTag, hardwareIds.Count > 0 ? hardwareIds : [PublishRequest.DefaultHardwareId],
                    invocation.Integer("version"), ReportProgress: true);
                Context.ActorOf(PublishCommandActor.PropsFor(request, publisher, output, publishTimeout), $"publish-{++_publishes}");
                return;
            case "list":
                var tag = invocation.String("tag");
                Run(output, async () =>
                {
                    var targets = TargetCatalog.Of(await TargetsPaletteActor.MetadataAsync(targetRegistry, askTimeout), tag);
                    // Latest version of each app per tag: targets come in version order, so the last one wins.
                    var latest = new SortedDictionary<(string App, string Tag), (TargetSummary Target, string Uri)>();
                    foreach (var target in targets)
                    foreach (var targetTag in target.Tags)
                    foreach (var (app, uri) in target.Apps)
                        latest[(app, targetTag)] = (target, uri);
                    output.Table(["app", "tag", "version", "target", "uri"], latest.Select(p => (IReadOnlyList<string?>)
                        [p.Key.App, p.Key.Tag, p.Value.Target.Version, p.Value.Target.Name, p.Value.Uri]));
                });
                return;
            case "show":
                var name = invocation.Argument("app")!;
                Run(output, async () =>
                {
                    var targets = TargetCatalog.Of(await TargetsPaletteActor.MetadataAsync(targetRegistry, askTimeout));
                    var versions = targets.Where(t => t.Apps.ContainsKey(name)).ToList();
                    if (versions.Count == 0)
                    {
                        var known = targets.SelectMany(t => t.Apps.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
                        throw new CommandFailedException(ErrorCodes.NotFound, $"no published app \"{name}\"" +
                            (known.Count == 0 ? " (nothing is published)" : $"; apps: {string.Join(", ", known)}"));
                    }
                    output.Table(["version", "target", "tags", "uri"], versions.Select(t => (IReadOnlyList<string?>)
                        [t.Version, t.Name, string.Join(",", t.Tags), t.Apps[name]]), title: name);
                });
                return;
            default:
                NotImplemented(invocation, output);
                return;
        }
    }
}
