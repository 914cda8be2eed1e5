using FleetOrchestrator.Node.Factory;

namespace FleetOrchestrator.Node;

/// <summary><c>fleet-node cert</c>: issues a remoting certificate for one more node from the factory's cluster CA.</summary>
public static class Cert
{
    public static async Task RunAsync(string[] args, CancellationToken cancellation = default)
    {
        string? data = null, node = null, output = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--data": data = Init.Value(args, ref i, "cert"); break;
                case "--node": node = Init.Value(args, ref i, "cert"); break;
                case "--out": output = Init.Value(args, ref i, "cert"); break;
                default: throw new UsageException($"cert: unknown argument \"{args[i]}\"");
            }
        }
        var missing = new[] { ("--data", data), ("--node", node), ("--out", output) }.Where(a => a.Item2 is null).Select(a => a.Item1).ToList();
        if (missing.Count > 0) throw new UsageException($"cert: missing {string.Join(", ", missing)}");
        var files = new FactoryFiles(data!);
        if (await files.IssueNodeCertificateAsync(node!, output!, cancellation))
            Console.Error.WriteLine($"this factory had no cluster CA (an older init): created {files.ClusterCaCertificateFile}; every node needs a certificate from it");
        Console.Error.WriteLine($"node {node}'s remoting certificate in {Path.GetFullPath(output!)} " +
            $"({FactoryFiles.NodeCertificateName}, {FactoryFiles.NodeKeyName}); run it with --node-certificate {Path.GetFullPath(output!)}");
    }
}
