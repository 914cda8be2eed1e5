using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Edge.Tests.Agent;

public sealed class UpdateEventsTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);

    private static UpdateInProgress Update(UpdatePhase phase, string id = "7-abc") =>
        new(id, new DeviceTarget("acme-7", 7, new Dictionary<string, string> { ["web"] = "u1" }), null, ["web"], [], phase, null);

    [Fact]
    public void The_same_event_queued_again_later_has_the_same_id()
    {
        var first = UpdateEvents.Of(Update(UpdatePhase.Fetched), DeviceEventTypes.DownloadCompleted, true, null, At);
        var again = UpdateEvents.Of(Update(UpdatePhase.Fetched), DeviceEventTypes.DownloadCompleted, true, "other details", At.AddHours(1));

        Assert.Equal(first.Id, again.Id);
        Assert.NotEqual(first.Id, UpdateEvents.Of(Update(UpdatePhase.Fetched), DeviceEventTypes.DownloadCompleted, false, null, At).Id);
        Assert.NotEqual(first.Id, UpdateEvents.Of(Update(UpdatePhase.Fetched, "7-def"), DeviceEventTypes.DownloadCompleted, true, null, At).Id);
        Assert.Equal(("7-abc", "acme-7", "7", true), (first.Event.CorrelationId, first.Event.TargetName, first.Event.Version, first.Event.Success));
    }

    [Fact]
    public void Details_are_cut_to_what_the_gateway_accepts()
    {
        var e = UpdateEvents.Of(Update(UpdatePhase.Begun), DeviceEventTypes.InstallationCompleted, false, new string('x', DeviceEventTypes.MaxDetailsLength + 10), At);

        Assert.Equal(DeviceEventTypes.MaxDetailsLength, e.Event.Details!.Length);
        Assert.EndsWith("...", e.Event.Details);
    }

    [Theory]
    [InlineData(UpdatePhase.Begun, new[] { DeviceEventTypes.DownloadStarted })]
    [InlineData(UpdatePhase.Fetched, new[] { DeviceEventTypes.DownloadStarted, DeviceEventTypes.DownloadCompleted, DeviceEventTypes.InstallationStarted })]
    [InlineData(UpdatePhase.Installed, new[] { DeviceEventTypes.DownloadStarted, DeviceEventTypes.DownloadCompleted, DeviceEventTypes.InstallationStarted })]
    [InlineData(UpdatePhase.Started, new[] { DeviceEventTypes.DownloadStarted, DeviceEventTypes.DownloadCompleted, DeviceEventTypes.InstallationStarted, DeviceEventTypes.InstallationApplied })]
    [InlineData(UpdatePhase.RollingBack, new[] { DeviceEventTypes.DownloadStarted, DeviceEventTypes.DownloadCompleted, DeviceEventTypes.InstallationStarted })]
    public void A_resumed_update_queues_again_the_events_its_phase_implies_with_their_first_ids(UpdatePhase phase, string[] types)
    {
        var implied = UpdateEvents.ImpliedBy(Update(phase), At.AddDays(1)).ToList();

        Assert.Equal(types, implied.Select(e => e.EventType.Id));
        var queuedOnTheWay = Enum.GetValues<UpdatePhase>().SelectMany(reached => UpdateEvents.OnReaching(Update(reached), reached, At)).Select(e => e.Id);
        Assert.All(implied, e => Assert.Contains(e.Id, queuedOnTheWay));
    }
}
