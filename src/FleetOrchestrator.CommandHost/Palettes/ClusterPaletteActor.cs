using Akka.Actor;
using FleetOrchestrator.CommandProtocol;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>The <c>cluster</c> palette: membership as this node sees it, and join / leave / down.</summary>
public sealed class ClusterPaletteActor() : PaletteActor(PaletteCatalog.Cluster)
{
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);

    protected override void Execute(CommandInvocation invocation, CommandOutput output)
    {
        var state = _cluster.State;
        switch (invocation.Command.Name)
        {
            case "show":
                output.Table(["address", "status", "roles", "reachable", "leader"], state.Members.Select(m => (IReadOnlyList<string?>)
                [
                    m.Address.ToString(), m.Status.ToString(), string.Join(",", m.Roles.Order()),
                    state.Unreachable.Contains(m) ? "no" : "yes", m.Address.Equals(state.Leader) ? "*" : "",
                ]));
                break;
            case "status":
                var self = _cluster.SelfMember;
                output.Line($"self: {self.Address} {self.Status} (roles {string.Join(",", self.Roles.Order())})");
                output.Line($"members: {state.Members.Count} ({string.Join(", ", state.Members.GroupBy(m => m.Status).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}"))})");
                output.Line($"unreachable: {state.Unreachable.Count}{(state.Unreachable.Count == 0 ? "" : " (" + string.Join(", ", state.Unreachable.Select(m => m.Address)) + ")")}");
                output.Line($"leader: {state.Leader?.ToString() ?? "none"}");
                break;
            case "leader":
                if (state.Leader is null)
                {
                    output.Fail(ErrorCodes.NotFound, "the cluster has no leader (no member is up and reachable)");
                    return;
                }
                output.Line(state.Leader.ToString());
                break;
            case "join":
                var seed = ParseAddress(invocation.Argument("address")!);
                _cluster.Join(seed);
                output.Line($"{_cluster.SelfAddress} joining {seed}");
                break;
            case "leave":
                var leaving = invocation.Argument("address") is { } text ? ParseAddress(text) : _cluster.SelfAddress;
                RequireMember(state, leaving);
                _cluster.Leave(leaving);
                output.Line($"{leaving} leaving");
                break;
            case "down":
                var down = ParseAddress(invocation.Argument("address")!);
                RequireMember(state, down);
                _cluster.Down(down);
                output.Line($"{down} marked down");
                break;
            default:
                NotImplemented(invocation, output);
                return;
        }
        output.End(EndFrame.Ok);
    }

    private static Address ParseAddress(string text)
    {
        try
        {
            return Address.Parse(text);
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            throw new CommandFailedException(ErrorCodes.Usage, $"\"{text}\" is not a member address (akka.ssl.tcp://fleet@host:port): {e.Message}", ExitCodes.Usage);
        }
    }

    private static void RequireMember(Akka.Cluster.ClusterEvent.CurrentClusterState state, Address address)
    {
        if (!state.Members.Any(m => m.Address.Equals(address)))
            throw new CommandFailedException(ErrorCodes.NotFound, $"{address} is not a member; members: {string.Join(", ", state.Members.Select(m => m.Address))}");
    }
}
