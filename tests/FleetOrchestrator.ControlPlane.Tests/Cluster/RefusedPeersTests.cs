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
