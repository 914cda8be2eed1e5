using Akka.Actor;
using Akka.Cluster.Sharding;
using FleetOrchestrator.CommandProtocol;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>The <c>cluster-sharding</c> palette: the shard regions this node runs and their shards and entities.</summary>
public sealed class ShardingPaletteActor(TimeSpan askTimeout) : PaletteActor(PaletteCatalog.Sharding)
{
    private readonly ClusterSharding _sharding = ClusterSharding.Get(Context.System);

    protected override void Execute(CommandInvocation invocation, CommandOutput output)
    {
        var types = _sharding.ShardTypeNames.Order(StringComparer.Ordinal).ToList();
        switch (invocation.Command.Name)
        {
            case "regions":
                Run(output, async () =>
                {
                    var rows = new List<IReadOnlyList<string?>>();
                    foreach (var type in types)
                    {
                        var stats = await _sharding.ShardRegion(type).Ask<ShardRegionStats>(GetShardRegionStats.Instance, askTimeout);
                        rows.Add([type, stats.Stats.Count.ToString(), stats.Stats.Values.Sum().ToString(), stats.Failed.Count.ToString()]);
                    }
                    output.Table(["type", "shards", "entities", "failed shards"], rows);
                });
                return;
            case "region-stats":
                if (invocation.String("type") is { } only)
                {
                    if (!types.Contains(only))
                        throw new CommandFailedException(ErrorCodes.NotFound, $"no shard region type \"{only}\"; types: {string.Join(", ", types)}");
                    types = [only];
                }
                Run(output, async () =>
                {
                    var rows = new List<IReadOnlyList<string?>>();
                    foreach (var type in types)
                    {
                        var stats = await _sharding.ShardRegion(type).Ask<ClusterShardingStats>(new GetClusterShardingStats(askTimeout), askTimeout + askTimeout);
                        foreach (var (address, region) in stats.Regions.OrderBy(r => r.Key.ToString(), StringComparer.Ordinal))
                        foreach (var (shard, entities) in region.Stats.OrderBy(s => s.Key, StringComparer.Ordinal))
                            rows.Add([type, address.ToString(), shard, entities.ToString()]);
                    }
                    output.Table(["type", "member", "shard", "entities"], rows);
                });
                return;
            default:
                NotImplemented(invocation, output);
                return;
        }
    }
}
