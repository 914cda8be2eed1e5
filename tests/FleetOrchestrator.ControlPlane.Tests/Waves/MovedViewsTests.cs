using FleetOrchestrator.ControlPlane.Waves;

namespace FleetOrchestrator.ControlPlane.Tests.Waves;

public sealed class MovedViewsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly MovedViews _moved = new(propagation: TimeSpan.FromSeconds(1), acknowledgementTimeout: TimeSpan.FromSeconds(30));

    private static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    [Fact]
    public void Views_advance_only_after_every_move_is_acknowledged_and_has_had_time_to_propagate()
    {
        _moved.Moved("prod", 2, At(0));
        _moved.Acknowledged("prod", At(2));
        Assert.Empty(_moved.Due(At(10))); // one twin has not persisted its move yet, however long it takes
        _moved.Acknowledged("prod", At(11));
        Assert.Empty(_moved.Due(At(11.5)));
        Assert.Equal(["prod"], _moved.Due(At(12)));
        Assert.Empty(_moved.Due(At(20))); // advanced once, then forgotten
    }

    [Fact]
    public void A_move_never_acknowledged_holds_its_tag_back_only_until_the_timeout_then_every_timeout()
    {
        _moved.Moved("prod", 1, At(0));
        Assert.Empty(_moved.Due(At(29)));
        Assert.Equal(["prod"], _moved.Due(At(30)));
        Assert.Empty(_moved.Due(At(45)));
        Assert.Equal(["prod"], _moved.Due(At(60)));
    }

    [Fact]
    public void Moves_while_others_are_pending_add_up_and_tags_are_independent()
    {
        _moved.Moved("prod", 1, At(0));
        _moved.Moved("lab", 0, At(0)); // e.g. after a restart: advance once
        _moved.Moved("prod", 1, At(1));
        _moved.Acknowledged("prod", At(1));
        _moved.Acknowledged("nope", At(1));
        Assert.Equal(["lab"], _moved.Due(At(1)));
        _moved.Acknowledged("prod", At(2));
        _moved.Acknowledged("prod", At(2)); // an extra acknowledgement (a resent move) does not go below zero
        Assert.Equal(["prod"], _moved.Due(At(3)));
    }
}
