namespace FleetOrchestrator.Node;

/// <summary>How <c>fleet-node run</c> runs, bound from the "Node" configuration section (appsettings.json, FLEET_Node__* variables, switches).</summary>
public sealed record NodeOptions
{
    public string Data { get; init; } = "";
    public int GatewayPort { get; init; } = 8443;
    /// <summary>Port of the operator command host (pbm), on loopback; 0 picks a free one.</summary>
    public int PbmPort { get; init; } = 9110;
    public int RemotingPort { get; init; } = 4053;
    /// <summary>Address the node binds and advertises; loopback in embedded mode.</summary>
    public string Hostname { get; init; } = "127.0.0.1";
    /// <summary>Name other nodes and devices reach this node by, when it differs from <see cref="Hostname"/> (a container binding 0.0.0.0).</summary>
    public string? PublicHostname { get; init; }
    /// <summary>Host names the gateway certificate is valid for, besides <see cref="Hostname"/> and <see cref="PublicHostname"/>.</summary>
    public string[] GatewayHostNames { get; init; } = ["localhost"];
    /// <summary>Seed addresses; empty = embedded mode (this node forms its own cluster).</summary>
    public string[] Seeds { get; init; } = [];
    /// <summary>Remoting endpoints (<c>host:port</c>) of the nodes, found through Akka.Discovery's config method; instead of <see cref="Seeds"/>.</summary>
    public string[] DiscoveryEndpoints { get; init; } = [];
    /// <summary>Cluster roles; empty = all roles.</summary>
    public string[] Roles { get; init; } = [];
    /// <summary>PostgreSQL connection string; empty = SQLite file in the data directory.</summary>
    public string? Postgres { get; init; }
    /// <summary>Folder of this node's remoting certificate (<c>fleet-node cert --out</c>); empty = <c>node/</c> in the data directory.</summary>
    public string? NodeCertificate { get; init; }
    /// <summary>Folder of HOCON tunables; empty = the <c>hocon/</c> folder next to the executable.</summary>
    public string? HoconDirectory { get; init; }
}
