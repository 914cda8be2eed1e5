using Akka.Actor;
using Akka.TestKit.Xunit2;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Simulation;

namespace FleetOrchestrator.Edge.Tests.Simulation;

public sealed class AgentStarterTests : TestKit
{
    /// <summary>Stands in for an agent: says it started, and stops when told (as a persistent actor whose recovery failed).</summary>
    private sealed class FakeAgent : ReceiveActor
    {
        public FakeAgent(string name, IActorRef probe)
        {
            probe.Tell($"started {name}");
            ReceiveAny(_ => Context.Stop(Self));
        }
    }

    private static EdgeSettings Device(int i) => new()
    {
        DataDirectory = $"/tmp/sim/{i}", Gateway = new Uri("https://127.0.0.1:1/"), DeviceName = $"sim-{i}", HardwareId = "generic", Tag = "main",
        AppsRoot = $"/tmp/sim/{i}/apps", StoreRoot = $"/tmp/sim/{i}/store",
    };

    [Fact]
    public void Agents_start_a_batch_per_tick_and_one_that_stops_is_started_again()
    {
        var devices = Enumerable.Range(1, AgentStarter.BatchSize * 2 + 3).Select(Device).ToList();
        var probe = CreateTestProbe();
        var starter = Sys.ActorOf(Props.Create(typeof(AgentStarter), devices,
            (Func<EdgeSettings, Props>)(d => Props.Create(() => new FakeAgent(d.DeviceName, probe.Ref)))), "simulation");

        var first = probe.ReceiveN(AgentStarter.BatchSize, TimeSpan.FromSeconds(5)).Cast<string>().ToList();
        var rest = probe.ReceiveN(AgentStarter.BatchSize + 3, TimeSpan.FromSeconds(5)).Cast<string>().ToList();
        // Agents start concurrently: within a batch the order is not fixed, the batches are.
        Assert.Equal(devices.Take(AgentStarter.BatchSize).Select(d => $"started {d.DeviceName}").Order(), first.Order());
        Assert.Equal(devices.Skip(AgentStarter.BatchSize).Select(d => $"started {d.DeviceName}").Order(), rest.Order());

        var agent = Sys.ActorSelection(starter.Path / "device-agent-sim-7").ResolveOne(TimeSpan.FromSeconds(3)).Result;
        agent.Tell("stop");
        probe.ExpectMsg("started sim-7", AgentStarter.RestartAfter + TimeSpan.FromSeconds(5));
    }
}
