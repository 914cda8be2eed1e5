using FleetOrchestrator.Edge.Outbox;

namespace FleetOrchestrator.Edge.Tests.Outbox;

public sealed class OutboxStateTests
{
    private static OutboxState With(params (string Endpoint, string Json)[] reports) =>
        reports.Aggregate(OutboxState.Empty, (state, r) => state.Apply(new ReportQueued(state.NextSeq, r.Endpoint, r.Json)));

    [Fact]
    public void Consecutive_events_go_as_one_array_up_to_the_batch_size()
    {
        var state = With((ReportEndpoints.Events, "{\"a\":1}"), (ReportEndpoints.Events, "{\"b\":2}"), (ReportEndpoints.Events, "{\"c\":3}"));

        var batch = state.NextBatch(maxEvents: 2)!;

        Assert.Equal(new ReportBatch(ReportEndpoints.Events, "[{\"a\":1},{\"b\":2}]", 2, 2), batch);
    }

    [Fact]
    public void Reports_go_in_order_and_an_app_states_report_goes_alone()
    {
        var state = With((ReportEndpoints.Events, "{\"a\":1}"), (ReportEndpoints.AppsStates, "{\"apps\":{}}"), (ReportEndpoints.Events, "{\"b\":2}"));

        Assert.Equal(new ReportBatch(ReportEndpoints.Events, "[{\"a\":1}]", 1, 1), state.NextBatch(100));
        state = state.Apply(new ReportsDelivered(1));
        Assert.Equal(new ReportBatch(ReportEndpoints.AppsStates, "{\"apps\":{}}", 2, 1), state.NextBatch(100));
        state = state.Apply(new ReportsDelivered(2));
        Assert.Equal(new ReportBatch(ReportEndpoints.Events, "[{\"b\":2}]", 3, 1), state.NextBatch(100));
        state = state.Apply(new ReportsDelivered(3));
        Assert.Null(state.NextBatch(100));
        Assert.Equal(4, state.NextSeq);
    }

    [Fact]
    public void Delivery_removes_only_up_to_its_sequence_number()
    {
        var state = With((ReportEndpoints.Events, "1"), (ReportEndpoints.Events, "2"), (ReportEndpoints.Events, "3")).Apply(new ReportsDelivered(2));

        Assert.Equal([3L], state.Pending.Select(p => p.Seq));
    }

    [Fact]
    public void A_report_id_is_known_while_pending_and_after_delivery_up_to_the_recent_limit()
    {
        var state = OutboxState.Empty.Apply(new ReportQueued(1, ReportEndpoints.Events, "{}", "e-1"));
        Assert.True(state.Knows("e-1"));
        Assert.False(state.Knows("e-2"));

        state = state.Apply(new ReportsDelivered(1));
        Assert.True(state.Knows("e-1"));

        for (var i = 0; i < OutboxState.RecentIdsKept; i++)
            state = state.Apply(new ReportQueued(state.NextSeq, ReportEndpoints.Events, "{}", $"x-{i}")).Apply(new ReportsDelivered(state.NextSeq));
        Assert.False(state.Knows("e-1"));
        Assert.True(state.Knows($"x-{OutboxState.RecentIdsKept - 1}"));
        Assert.Equal(OutboxState.RecentIdsKept, state.RecentIds.Count);
    }
}
