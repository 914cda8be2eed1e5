using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Transport.DotNetty;
using DotNetty.Handlers.Tls;

namespace FleetOrchestrator.ControlPlane.Security;

/// <summary>
/// Mutual TLS on Akka.Remote: this node presents <paramref name="NodeCertificate"/> (with its private key) and accepts a
/// peer, in either direction, only with a node certificate issued by one of <paramref name="TrustedCas"/> — the cluster
/// CA certificates, never the system store.
/// </summary>
public sealed record RemotingTls(X509Certificate2 NodeCertificate, X509Certificate2Collection TrustedCas)
{
    /// <summary>The address scheme of TLS remoting: seeds and members are <c>akka.ssl.tcp://fleet@host:port</c>.</summary>
    public const string Protocol = "akka.ssl.tcp";

    private const string PlainScheme = "akka.tcp://";

    /// <summary>A seed written with the plain scheme names the same node: remoting only runs TLS, so it is read as TLS.</summary>
    public static string SeedAddress(string seed) =>
        seed.StartsWith(PlainScheme, StringComparison.Ordinal) ? $"{Protocol}://{seed[PlainScheme.Length..]}" : seed;
}

public static class RemotingTlsHosting
{
    /// <summary>Turns TLS on for remoting with mutual authentication against the cluster CA; refusals are logged once per peer.</summary>
    public static AkkaConfigurationBuilder WithRemotingTls(this AkkaConfigurationBuilder builder, RemotingTls tls)
    {
        var refusals = new RefusedPeers();
        // Prepended: operators' HOCON cannot turn TLS off.
        builder.AddHocon("akka.remote.dot-netty.tcp.enable-ssl = on", HoconAddMode.Prepend);
        builder.AddSetup(new DotNettySslSetup(tls.NodeCertificate, suppressValidation: false, requireMutualAuthentication: true,
            (certificate, _, peer, _, log) => refusals.Accept(certificate, tls.TrustedCas, peer, log)));
        builder.AddSetup(new LogFilterSetup([new RefusedPeers.RepeatFilter(refusals)]));
        return builder;
    }
}

/// <summary>
/// The remoting peers this node refused, so a refusal is logged once per peer address rather than on every retry: the
/// validator logs why it refused a certificate, and <see cref="RepeatFilter"/> keeps only the first of Akka's own
/// handshake-failure lines per address (the only trace of a peer that speaks no TLS or sends no certificate).
/// </summary>
/// <remarks>
/// The memory is bounded, since any host that reaches the port adds to it: an address is remembered for <see cref="Window"/>
/// (a peer that keeps trying is logged again once per window), and beyond <see cref="Capacity"/> addresses the oldest is
/// forgotten first, so a flood of addresses costs at most one more line for each of them.
/// </remarks>
internal sealed partial class RefusedPeers(TimeProvider? time = null)
{
    public const int Capacity = 4096;
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, LinkedListNode<(string Address, DateTimeOffset At)>> _logged = new(StringComparer.Ordinal);
    /// <summary>The remembered addresses, oldest first.</summary>
    private readonly LinkedList<(string Address, DateTimeOffset At)> _order = new();

    /// <summary>How many addresses are remembered now.</summary>
    public int Count
    {
        get { lock (_order) return _order.Count; }
    }

    /// <summary>The validation callback: the SslStream's own verdict (system store) is ignored, the cluster CA decides.</summary>
    public bool Accept(X509Certificate2? certificate, X509Certificate2Collection trusted, string peer, ILoggingAdapter log)
    {
        var problem = certificate is null ? "no certificate" : ClusterCa.IsNodeCertificate(certificate, trusted, out var why) ? null : why;
        if (problem is null) return true;
        if (First(peer))
            log.Warning("remoting refused peer {0} at the TLS handshake: {1} (its further attempts within {2} are not logged)", peer, problem, Window);
        return false;
    }

    /// <summary>
    /// Whether this is the first refusal of <paramref name="peer"/>'s address within <see cref="Window"/> (an inbound peer's
    /// port changes on every attempt). Handshake threads call it at once, hence the lock; it runs only on refusals.
    /// </summary>
    public bool First(string peer)
    {
        var address = AddressOf(peer);
        var now = _time.GetUtcNow();
        lock (_order)
        {
            while (_order.First is { } oldest && (now - oldest.Value.At >= Window || _order.Count >= Capacity && !_logged.ContainsKey(address)))
            {
                _logged.Remove(oldest.Value.Address);
                _order.RemoveFirst();
            }
            if (_logged.ContainsKey(address)) return false;
            _logged[address] = _order.AddLast((address, now));
            return true;
        }
    }

    private static string AddressOf(string peer) =>
        IPEndPoint.TryParse(peer, out var endpoint)
            ? (endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address).ToString()
            : peer;

    /// <summary>Drops Akka's handshake-failure lines for an inbound peer already logged.</summary>
    internal sealed class RepeatFilter(RefusedPeers refusals) : LogFilterBase
    {
        public override LogFilterType FilterType => LogFilterType.Content;

        public override LogFilterDecision ShouldKeepMessage(LogEvent content, string? expandedMessage = null)
        {
            if (content.LogClass?.Name is not ("TcpServerHandler" or "DotNettyTransport")) return LogFilterDecision.NoDecision;
            var message = content.Message?.ToString() ?? "";
            var failure = HandshakeFailure().Match(message);
            if (!failure.Success && content.Cause is NotSslRecordException) failure = PlainPeer().Match(message);
            return !failure.Success ? LogFilterDecision.NoDecision
                : refusals.First(failure.Groups["peer"].Value) ? LogFilterDecision.Keep : LogFilterDecision.Drop;
        }
    }

    // Akka.Remote 1.5.73's wording: "TLS handshake failed on channel [local->peer](Id=..)", "TLS exception on channel ...",
    // "Rejected incoming connection from [peer] due to TLS handshake failure", "... did not provide a certificate from peer".
    [GeneratedRegex(@"^(TLS (handshake failed|exception) on channel \[.*?->(?<peer>.+?)\]\(Id=|Rejected incoming connection from \[(?<peer>.+?)\] due to TLS|Mutual TLS required but client did not provide a certificate from (?<peer>\S+))")]
    private static partial Regex HandshakeFailure();

    /// <summary>DotNetty's "Error caught channel [local->peer]" line when a peer speaks no TLS.</summary>
    [GeneratedRegex(@"^Error caught channel \[.*?->(?<peer>.+?)\]\(Id=")]
    private static partial Regex PlainPeer();
}
