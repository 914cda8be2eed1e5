using FleetOrchestrator.Protocol.DeviceApi;
using Akka.Actor;
using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Edge.Outbox;
using FleetOrchestrator.Protocol;
using FleetOrchestrator.Infrastructure.Serialization;

namespace FleetOrchestrator.Edge.Tests;

/// <summary>Every type in <see cref="EdgeMessages.Table"/> goes through the fleet serializer and comes back equal.</summary>
public sealed class EdgeSerializationTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("edge-serialization", SerializationHosting.Setup(EdgeMessages.Table));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private static readonly DateTimeOffset At = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);
    private static readonly DeviceTarget Target = new("acme-2", 2, new Dictionary<string, string> { ["httpd"] = "r/acme/httpd@sha256:ab" });

    private static IEnumerable<IFleetMessage> Samples() =>
    [
        new UpdateBegun("2-x", Target, ["httpd"], ["web"], At),
        new UpdateFetched("2-x"),
        new UpdateInstalled("2-x"),
        new UpdateStarted("2-x"),
        new UpdateConfirmed("2-x", At),
        new RollbackBegun("2-x", "exited with code 3"),
        new UpdateAbandoned("2-x", "why", MarkFailed: true, RollbackFailed: false),
        new FailedTargetsCleared(At),
        new CheckedIn(At),
        new ConfigReceived(DeviceConfig.Of("prod", ["httpd"]), At),
        new DeviceAgentSnapshot(Target, new UpdateInProgress("3-y", Target with { Name = "acme-3" }, Target, ["httpd"], [], UpdatePhase.RollingBack, "bad"),
            ["acme-3"], At, Config: DeviceConfig.Of("prod", [])),
        new ReportQueued(7, ReportEndpoints.Events, "{\"id\":\"1\"}"),
        new ReportsDelivered(7),
        new OutboxSnapshot([new ReportQueued(8, ReportEndpoints.AppsStates, "{}")], 9),
    ];

    [Fact]
    public void Every_persisted_record_round_trips_under_its_manifest()
    {
        var sampled = new List<Type>();
        foreach (var message in Samples())
        {
            var serializer = (FleetJsonSerializer)_system.Serialization.FindSerializerFor(message);
            var manifest = serializer.Manifest(message);
            var back = serializer.FromBinary(serializer.ToBinary(message), manifest);
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(message, message.GetType()), System.Text.Json.JsonSerializer.Serialize(back, back.GetType()));
            Assert.StartsWith("edge.", manifest);
            sampled.Add(message.GetType());
        }
        Assert.Equal(EdgeMessages.Table.Types.OrderBy(t => t.Name), sampled.OrderBy(t => t.Name));
    }
}
