using FleetOrchestrator.Node.Benchmarks;

// Control-plane benchmarks (docs/benchmarks.md, "Control plane"):
//   checkins [--seconds 10] [--rounds 3] [--connections 64]   304 check-ins: fleet-node gateway vs bare Kestrel, each served by a child process
//   twins [--count 100000]                                    registering twins on one embedded node: time, memory per live twin, projection catch-up
//   wave [--count 100000] [--canary-percent 1]                a wave over N twins of one tag: assignments per minute, waves status latency
//   cluster-tls [--count 5000] [--rounds 2] [--warmup 1]    three nodes, mutual-TLS vs plain remoting: wave assignments, twin check-ins
//   revocation [--count 100] [--postgres <connection string>] three nodes: from 'devices revoke' answered to every gateway refusing the device
// twins and wave take --postgres <connection string> (a fresh database, dropped afterwards) instead of a SQLite file.
// serve-node / serve-bare are the child processes checkins starts.
var options = Options.Parse(args.Skip(1).ToArray());
return args.FirstOrDefault() switch
{
    "checkins" => await CheckinBenchmark.RunAsync(options),
    "twins" => await TwinBenchmark.RunAsync(options),
    "wave" => await WaveBenchmark.RunAsync(options),
    "cluster-tls" => await RemotingTlsBenchmark.RunAsync(options),
    "revocation" => await RevocationBenchmark.RunAsync(options),
    "serve-node" => await Servers.ServeNodeAsync(options),
    "serve-bare" => await Servers.ServeBareAsync(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: checkins [--seconds N] [--rounds N] [--connections N] | twins [--count N] | wave [--count N] [--canary-percent N] [--evaluate-ms N]");
    return 2;
}

internal sealed record Options(IReadOnlyDictionary<string, string> Values)
{
    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2) values[args[i].TrimStart('-')] = args[i + 1];
        return new Options(values);
    }

    public string String(string name, string fallback = "") => Values.GetValueOrDefault(name, fallback);
    public int Int(string name, int fallback) => Values.TryGetValue(name, out var v) ? int.Parse(v) : fallback;
}
