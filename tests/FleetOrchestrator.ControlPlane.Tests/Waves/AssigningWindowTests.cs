using FleetOrchestrator.ControlPlane.Waves;

namespace FleetOrchestrator.ControlPlane.Tests.Waves;

public sealed class AssigningWindowTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly AssigningWindow _window = new(size: 10, answerTimeout: TimeSpan.FromSeconds(30));

    private static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    [Fact]
    public void Views_take_room_until_their_twins_answer_and_more_go_out_once_half_the_window_is_free()
    {
        _window.HandedOut(8, At(0));
        Assert.Equal((8, 2), (_window.Assigning, _window.Room));

        Assert.False(_window.Answered(At(1)));
        Assert.False(_window.Answered(At(1)));
        Assert.True(_window.Answered(At(1))); // 5 left: half the window is free
        Assert.Equal(5, _window.Assigning);
    }

    [Fact]
    public void An_answer_beyond_what_was_handed_out_counts_nothing()
    {
        Assert.True(_window.Answered(At(0)));
        Assert.Equal(0, _window.Assigning);
    }

    [Fact]
    public void Views_unanswered_for_the_timeout_since_the_last_answer_are_forgotten()
    {
        _window.HandedOut(4, At(0));
        _window.Answered(At(20));
        Assert.Equal(0, _window.ForgetLost(At(49)));
        Assert.Equal(3, _window.ForgetLost(At(50)));
        Assert.Equal((0, 10), (_window.Assigning, _window.Room));
        Assert.Equal(0, _window.ForgetLost(At(100)));
    }

    [Fact]
    public void Devices_go_back_to_production_in_order_as_far_as_the_window_has_room()
    {
        _window.HandBack("prod", ["a", "b", "c"]);
        _window.HandBack("beta", ["d", "e"]);
        _window.HandedOut(6, At(0));

        Assert.Equal(["prod: a b c", "beta: d"], _window.TakeHandBack().Select(t => $"{t.Tag}: {string.Join(' ', t.Devices)}"));

        _window.HandedOut(4, At(1));
        Assert.Empty(_window.TakeHandBack()); // full
        _window.Answered(At(2));
        Assert.Equal(["e"], Assert.Single(_window.TakeHandBack()).Devices);
        Assert.Empty(_window.TakeHandBack());
    }
}
