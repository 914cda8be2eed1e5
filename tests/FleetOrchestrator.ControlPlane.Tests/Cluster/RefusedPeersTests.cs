using Akka.Event;
using DotNetty.Handlers.Tls;
using FleetOrchestrator.ControlPlane.Security;

namespace FleetOrchestrator.ControlPlane.Tests.Cluster;

/// <summary>A refused peer is logged once per address: Akka's own handshake-failure lines repeat on every attempt.</summary>
public sealed class RefusedPeersTests
{
    [Fact]
    public void Akkas_handshake_failure_lines_are_kept_once_per_peer_address()
    {
        var filter = new RefusedPeers.RepeatFilter(new RefusedPeers());
        LogFilterDecision Decide(string message) => filter.ShouldKeepMessage(new Error(null, "transport", typeof(TcpServerHandler), message));

        Assert.Equal(LogFilterDecision.Keep, Decide("TLS handshake failed on channel [[::ffff:127.0.0.1]:4053->[::ffff:10.1.2.3]:50001](Id=1)\nnot a TLS record"));
        Assert.Equal(LogFilterDecision.Drop, Decide("Rejected incoming connection from [[::ffff:10.1.2.3]:50001] due to TLS handshake failure."));
        Assert.Equal(LogFilterDecision.Drop, Decide("TLS handshake failed on channel [127.0.0.1:4053->10.1.2.3:50002](Id=2)\nnot a TLS record"));
        Assert.Equal(LogFilterDecision.Keep, Decide("Rejected incoming connection from [10.9.9.9:40000] due to TLS handshake failure."));
        Assert.Equal(LogFilterDecision.NoDecision, Decide("Association with [akka.ssl.tcp://fleet@node2:4053] failed"));

        // A peer speaking plain TCP: DotNetty's line for the record that is no TLS, kept once per address too.
        LogFilterDecision Plain(string message) => filter.ShouldKeepMessage(new Error(new NotSslRecordException("not an SSL/TLS record"), "transport",
            typeof(TcpServerHandler), message));
        Assert.Equal(LogFilterDecision.Keep, Plain("Error caught channel [127.0.0.1:4053->10.4.4.4:50001](Id=3)"));
        Assert.Equal(LogFilterDecision.Drop, Plain("TLS handshake failed on channel [127.0.0.1:4053->10.4.4.4:50001](Id=3)\nnot a TLS record"));
        Assert.Equal(LogFilterDecision.Drop, Plain("Error caught channel [127.0.0.1:4053->10.4.4.4:50002](Id=5)"));
        Assert.Equal(LogFilterDecision.NoDecision, filter.ShouldKeepMessage(new Error(new InvalidOperationException(), "transport",
            typeof(TcpServerHandler), "Error caught channel [127.0.0.1:4053->10.4.4.4:50003](Id=4)")));
    }

    /// <summary>Named as the Akka.Remote handler whose lines the filter reads.</summary>
    private sealed class TcpServerHandler;
}

/// <summary>The memory of refused addresses is bounded in size and in time: any host that reaches the port adds to it.</summary>
public sealed class RefusedPeersMemoryTests
{
    private readonly ManualTime _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_flood_of_addresses_keeps_at_most_the_capacity_forgetting_the_oldest_first()
    {
        var refusals = new RefusedPeers(_time);

        for (var i = 0; i < RefusedPeers.Capacity + 100; i++)
            Assert.True(refusals.First($"10.{i / 65536}.{i / 256 % 256}.{i % 256}:5000"));

        Assert.Equal(RefusedPeers.Capacity, refusals.Count);
        // The first 100 were forgotten to make room; the newest are still remembered.
        Assert.True(refusals.First("10.0.0.0:5001"));
        Assert.False(refusals.First($"10.0.{(RefusedPeers.Capacity + 99) / 256 % 256}.{(RefusedPeers.Capacity + 99) % 256}:6000"));
        Assert.Equal(RefusedPeers.Capacity, refusals.Count);
    }

    [Fact]
    public void An_address_is_logged_again_once_the_window_has_passed()
    {
        var refusals = new RefusedPeers(_time);
        Assert.True(refusals.First("[::ffff:10.1.2.3]:50001"));

        _time.Now += RefusedPeers.Window - TimeSpan.FromSeconds(1);
        Assert.False(refusals.First("10.1.2.3:50002"));

        _time.Now += TimeSpan.FromSeconds(1);
        Assert.True(refusals.First("10.1.2.3:50003"));
        Assert.Equal(1, refusals.Count);
    }
}
