using FleetOrchestrator.Infrastructure.Hosting;
using FleetOrchestrator.CommandHost;
using FleetOrchestrator.Node;
using FleetOrchestrator.Node.Factory;

const string usage = """
    usage:
      fleet-node init --factory <name> --data <dir> --registry <host:port> [--plain-http] [--mirror docker.io=<host:port>]...
                      [--offline-root <key file>] [--offline-targets <key file>] [--node node1]
      fleet-node cert --data <dir> --node <name> --out <dir>
      fleet-node run --data <dir> [--gateway-port 8443] [--pbm-port 9110] [--remoting-port 4053] [--hostname 127.0.0.1]
                     [--postgres <connection string>] [--roles targets,publisher,devices,gateway]
                     [--node-certificate <dir, default <data>/node>]
                     [--seed akka.ssl.tcp://fleet@<host>:<port>]... | [--discovery-endpoint <host>:<remoting port>]...
    """;

try
{
    switch (args.FirstOrDefault())
    {
        case "init":
            var token = await Init.RunAsync(args[1..]);
            Console.WriteLine($"registration token: {token}");
            return 0;
        case "cert":
            await Cert.RunAsync(args[1..]);
            return 0;
        case "run":
            await using (var app = await NodeHost.BuildAsync(args[1..]))
                await app.RunAsync();
            return 0;
        default:
            Console.Error.WriteLine(usage);
            return 2;
    }
}
catch (Exception e) when (e is FactoryFilesException or UsageException or CommandHostConfigurationException or SettingsException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
