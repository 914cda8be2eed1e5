using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Edge.Outbox;
using FleetOrchestrator.Infrastructure.Serialization;

namespace FleetOrchestrator.Edge;

/// <summary>The manifest of every event and snapshot the agent persists. Never reuse or rename a manifest.</summary>
public static class EdgeMessages
{
    public static ManifestTable Table { get; } = ManifestTable.Empty
        .Add<UpdateBegun>("edge.update-begun")
        .Add<UpdateFetched>("edge.update-fetched")
        .Add<UpdateInstalled>("edge.update-installed")
        .Add<UpdateStarted>("edge.update-started")
        .Add<UpdateConfirmed>("edge.update-confirmed")
        .Add<RollbackBegun>("edge.rollback-begun")
        .Add<UpdateAbandoned>("edge.update-abandoned")
        .Add<FailedTargetsCleared>("edge.failed-targets-cleared")
        .Add<CheckedIn>("edge.checked-in")
        .Add<ConfigReceived>("edge.config-received")
        .Add<DeviceAgentSnapshot>("edge.device-agent-snapshot")
        .Add<ReportQueued>("edge.report-queued")
        .Add<ReportsDelivered>("edge.reports-delivered")
        .Add<OutboxSnapshot>("edge.outbox-snapshot");
}
