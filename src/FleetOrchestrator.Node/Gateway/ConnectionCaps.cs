using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>
/// Concurrent connections per source address (the total is Kestrel's <c>MaxConcurrentConnections</c>): a connection over
/// <see cref="ConnectionLimits.MaxPerAddress"/> is closed before its TLS handshake, so one address cannot hold the
/// gateway's sockets and handshakes. Runs as connection middleware in front of TLS.
/// </summary>
public sealed class ConnectionCaps(ConnectionLimits limits, ILogger logger)
{
    private readonly ConcurrentDictionary<IPAddress, int> _open = new();

    public ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        if (connection.RemoteEndPoint is not IPEndPoint { Address: var remote })
        {
            await next(connection);
            return;
        }
        var address = RegistrationThrottle.Normalized(remote);
        var open = _open.AddOrUpdate(address, 1, (_, count) => count + 1);
        try
        {
            if (open <= limits.MaxPerAddress) await next(connection);
            // Logged once per burst: the first connection over the cap.
            else if (open == limits.MaxPerAddress + 1)
                logger.LogWarning("gateway: {Address} holds {Max} connections, the most one address may; further ones are closed", address, limits.MaxPerAddress);
        }
        finally
        {
            _open.AddOrUpdate(address, 0, (_, count) => count - 1);
            _open.TryRemove(new KeyValuePair<IPAddress, int>(address, 0));
        }
    };
}
