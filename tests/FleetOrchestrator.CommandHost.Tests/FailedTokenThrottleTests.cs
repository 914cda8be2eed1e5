using System.Net;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>The back-off of failed operator tokens per address, on a clock the test moves.</summary>
public sealed class FailedTokenThrottleTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly IPAddress A = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress B = IPAddress.Parse("10.0.0.2");
    private readonly ManualTime _time = new(Start);

    private FailedTokenThrottle Throttle(int maxAddresses = 100) =>
        new(new TokenThrottleSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), maxAddresses, TimeSpan.FromHours(1)), _time);

    [Fact]
    public void Each_failure_doubles_the_window_up_to_the_cap()
    {
        var throttle = Throttle();

        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60], Enumerable.Range(1, 8).Select(n => throttle.Delay(n).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(60), throttle.Delay(1000));
    }

    [Fact]
    public void An_address_is_refused_during_its_window_and_others_are_not()
    {
        var throttle = Throttle();

        var first = throttle.Failed(A);
        var during = throttle.Check(A);
        var again = throttle.Check(A);
        var other = throttle.Check(B);
        _time.Now = first;
        var after = throttle.Check(A);
        var second = throttle.Failed(A);

        Assert.Equal(Start.AddSeconds(1), first);
        Assert.Equal(new ThrottleRefusal(first, 1, FirstInWindow: true), during);
        Assert.Equal(new ThrottleRefusal(first, 1, FirstInWindow: false), again); // logged once per window
        Assert.Null(other);
        Assert.Null(after);
        Assert.Equal(first.AddSeconds(2), second);
        Assert.True(throttle.Check(A)!.Value.FirstInWindow); // a new window logs again
    }

    [Fact]
    public void Success_and_a_long_quiet_reset_the_count()
    {
        var throttle = Throttle();
        for (var i = 0; i < 5; i++) _time.Now = throttle.Failed(A);
        for (var i = 0; i < 5; i++) _time.Now = throttle.Failed(B);
        var sixth = throttle.Failed(B) - _time.Now;

        throttle.Succeeded(A);
        var afterSuccess = throttle.Failed(A) - _time.Now;
        _time.Now += TimeSpan.FromHours(2);
        var afterQuiet = throttle.Failed(B) - _time.Now;

        Assert.Equal(TimeSpan.FromSeconds(32), sixth);
        Assert.Equal(TimeSpan.FromSeconds(1), afterSuccess);
        Assert.Equal(TimeSpan.FromSeconds(1), afterQuiet);
    }

    [Fact]
    public void The_table_is_bounded_and_forgets_the_window_that_ends_first()
    {
        var throttle = Throttle(maxAddresses: 3);
        var addresses = Enumerable.Range(1, 3).Select(i => IPAddress.Parse($"10.0.1.{i}")).ToList();
        foreach (var address in addresses)
        {
            throttle.Failed(address);
            _time.Now += TimeSpan.FromMilliseconds(100);
        }

        throttle.Failed(A);

        Assert.Equal(3, throttle.Count);
        Assert.Null(throttle.Check(addresses[0]));
        Assert.NotNull(throttle.Check(addresses[1]));
        Assert.NotNull(throttle.Check(A));
    }

    [Fact]
    public void Ipv4_mapped_addresses_are_the_same_address()
    {
        var throttle = Throttle();

        throttle.Failed(A);

        Assert.NotNull(throttle.Check(A.MapToIPv6()));
    }
}
