using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Simulation;

namespace FleetOrchestrator.Edge.Tests.Simulation;

/// <summary>
/// On Akka's test scheduler: time moves only when the test advances it, so a batch's agents have all started before the
/// next tick however slowly the machine runs their constructors (on the real clock a loaded machine let batches overlap).
/// </summary>
public sealed class AgentStarterTests() : TestKit("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
{
    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

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

        // Agents start concurrently: within a batch the order is not fixed; no agent of the next batch starts before a tick.
        FirstTick(probe);
        var first = probe.ReceiveN(AgentStarter.BatchSize, TimeSpan.FromSeconds(5)).Cast<string>().ToList();
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Clock.Advance(AgentStarter.BatchInterval);
        var second = probe.ReceiveN(AgentStarter.BatchSize, TimeSpan.FromSeconds(5)).Cast<string>().ToList();
        Clock.Advance(AgentStarter.BatchInterval);
        var rest = probe.ReceiveN(3, TimeSpan.FromSeconds(5)).Cast<string>().ToList();
        Assert.Equal(devices.Take(AgentStarter.BatchSize).Select(d => $"started {d.DeviceName}").Order(), first.Order());
        Assert.Equal(devices.Skip(AgentStarter.BatchSize).Take(AgentStarter.BatchSize).Select(d => $"started {d.DeviceName}").Order(), second.Order());
        Assert.Equal(devices.Skip(AgentStarter.BatchSize * 2).Select(d => $"started {d.DeviceName}").Order(), rest.Order());

        var agent = Sys.ActorSelection(starter.Path / "device-agent-sim-7").ResolveOne(TimeSpan.FromSeconds(3)).Result;
        agent.Tell("stop");
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Clock.Advance(AgentStarter.RestartAfter);
        FirstTick(probe);
        probe.ExpectMsg("started sim-7", TimeSpan.FromSeconds(5));
    }

    /// <summary>A batch timer's first tick is due at once, from when the starter schedules it: moves the clock by nothing until it has fired.</summary>
    private void FirstTick(TestProbe probe) => AwaitCondition(() =>
    {
        Clock.Advance(TimeSpan.Zero);
        return probe.HasMessages;
    }, TimeSpan.FromSeconds(5));
}
