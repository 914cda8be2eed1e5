using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Edge.Outbox;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Edge.Tests.Agent;

public sealed class AgentReportsTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);

    private static AppsStatesReport States(DateTimeOffset at, string state) =>
        new(at, "acme-1", new Dictionary<string, AppStateReport> { ["web"] = new("u1", state, new Dictionary<string, string> { ["web"] = "ok" }) });

    [Fact]
    public void App_states_are_queued_only_when_they_differ_from_the_last_ones_queued()
    {
        var reports = new AgentReports();

        var first = reports.AppsStates(States(At, AppStates.Healthy));
        Assert.Equal(ReportEndpoints.AppsStates, first!.Endpoint);
        Assert.Null(first.Id);
        Assert.Null(reports.AppsStates(States(At.AddMinutes(5), AppStates.Healthy))); // only the time read differs
        Assert.NotNull(reports.AppsStates(States(At.AddMinutes(10), AppStates.Unhealthy)));
        Assert.NotNull(reports.AppsStates(States(At.AddMinutes(15), AppStates.Healthy)));
    }

    [Fact]
    public void System_facts_are_identified_by_their_content()
    {
        var facts = new SystemInfoReport("1.0", "Linux", "arm64", "27.0", "docker compose");

        var queued = AgentReports.SystemInfo(facts);

        Assert.Equal(ReportEndpoints.SystemInfo, queued.Endpoint);
        Assert.StartsWith("system-info-", queued.Id);
        Assert.Equal(queued.Id, AgentReports.SystemInfo(facts with { }).Id);
        Assert.NotEqual(queued.Id, AgentReports.SystemInfo(facts with { DockerVersion = "28.0" }).Id);
    }

    [Fact]
    public void An_event_keeps_its_own_id()
    {
        var e = new DeviceEvent("id-1", At, new DeviceEventType(DeviceEventTypes.DownloadStarted), new DeviceEventBody("1-x", "acme-1", "1"));

        var queued = AgentReports.Event(e);

        Assert.Equal((ReportEndpoints.Events, "id-1"), (queued.Endpoint, queued.Id));
        Assert.Contains("\"EcuDownloadStarted\"", queued.Json);
    }
}
