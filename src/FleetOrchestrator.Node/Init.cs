using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Node;

/// <summary><c>fleet-node init</c>: creates a factory in a data directory and returns its registration token.</summary>
public static class Init
{
    public static async Task<string> RunAsync(string[] args, CancellationToken cancellation = default)
    {
        string? factory = null, data = null, registry = null;
        var node = FactoryFiles.DefaultNode;
        var plainHttp = false;
        var mirrors = new Dictionary<string, string>(StringComparer.Ordinal);
        var offline = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--factory": factory = Value(args, ref i); break;
                case "--data": data = Value(args, ref i); break;
                case "--registry": registry = Value(args, ref i); break;
                case "--node": node = Value(args, ref i); break;
                case "--plain-http": plainHttp = true; break;
                case "--offline-root": offline[Role.Root] = Value(args, ref i); break;
                case "--offline-targets": offline[Role.Targets] = Value(args, ref i); break;
                case "--mirror":
                    var mirror = Value(args, ref i).Split('=', 2);
                    if (mirror.Length != 2) throw new UsageException($"init: --mirror \"{args[i]}\" is not <registry domain>=<host:port>");
                    mirrors[mirror[0]] = mirror[1];
                    break;
                default: throw new UsageException($"init: unknown argument \"{args[i]}\"");
            }
        }
        var missing = new[] { ("--factory", factory), ("--data", data), ("--registry", registry) }.Where(a => a.Item2 is null).Select(a => a.Item1).ToList();
        if (missing.Count > 0) throw new UsageException($"init: missing {string.Join(", ", missing)}");
        var files = new FactoryFiles(data!);
        var token = await files.InitializeAsync(new FactorySettings(factory!, registry!, plainHttp, mirrors.Count > 0 ? mirrors : null), offline, node, cancellation);
        Console.Error.WriteLine($"factory {factory} created in {files.DataDirectory}");
        foreach (var (role, file) in offline)
            Console.Error.WriteLine($"the {role} key is offline: written only to {Path.GetFullPath(file)} (0600), not into the data directory; sign with it through pbm keys ... --key {file}");
        var online = Role.TopLevel.Where(r => !offline.ContainsKey(r)).ToList();
        Console.Error.WriteLine(offline.ContainsKey(Role.Root)
            ? $"online keys ({string.Join(", ", online)}) in {files.KeysDirectory}"
            : $"embedded mode: every TUF key, the root key included, is online in {files.KeysDirectory} (demos only; production keeps root offline: init --offline-root <file>)");
        Console.Error.WriteLine($"registration token written to {files.RegistrationTokenFile}");
        Console.Error.WriteLine($"cluster CA in {files.ClusterCaCertificateFile}; node {node}'s remoting certificate in {files.NodeCertificateDirectory}; " +
            $"further nodes: fleet-node cert --data {files.DataDirectory} --node <name> --out <dir>");
        return token;
    }

    internal static string Value(string[] args, ref int i, string command = "init") =>
        ++i < args.Length ? args[i] : throw new UsageException($"{command}: {args[i - 1]} needs a value");
}

public sealed class UsageException(string message) : Exception(message);
