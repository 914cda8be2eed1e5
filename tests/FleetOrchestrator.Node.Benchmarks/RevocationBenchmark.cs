using System.Diagnostics;
using System.Net;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Pbm;

namespace FleetOrchestrator.Node.Benchmarks;

/// <summary>
/// Revocation propagation (issue 13): a three-node cluster (TLS remoting, PostgreSQL journal), N devices each holding
/// an open keep-alive connection to every gateway; for each device in turn, <c>pbm devices revoke</c> at the first
/// node, then the time from its answer until every gateway answers that device 403. Target: p99 under 5 s.
/// </summary>
internal static class RevocationBenchmark
{
    public static async Task<int> RunAsync(Options options)
    {
        var count = options.Int("count", 100);
        var postgres = options.String("postgres", Environment.GetEnvironmentVariable("FLEET_TEST_POSTGRES") ?? "");
        if (postgres.Length == 0)
        {
            Console.Error.WriteLine("revocation needs --postgres <connection string> (or FLEET_TEST_POSTGRES): three nodes share one journal");
            return 2;
        }
        await using var cluster = await NodeCluster.StartAsync(3, postgres);
        var devices = new List<(string Name, HttpClient[] Clients)>();
        for (var i = 0; i < count; i++)
        {
            var name = $"bench-{i:D4}";
            var certificate = await cluster.RegisterAsync(name, i % 3);
            var clients = Enumerable.Range(0, 3).Select(n => cluster.Client(n, certificate)).ToArray();
            // Each gateway authenticates the device once: the connection it refuses later is an open, authenticated one.
            foreach (var client in clients)
                if (!(await client.GetAsync("config")).IsSuccessStatusCode) throw new InvalidOperationException($"{name} is not served before its revocation");
            devices.Add((name, clients));
        }
        var host = await cluster.CommandHostAsync(0);
        await using var pbm = await PbmConnection.ConnectAsync(host.Address.ToString(), host.Port, null, CancellationToken.None);
        var timings = new List<double>(count);
        var commands = new List<double>(count);
        foreach (var (name, clients) in devices)
        {
            var command = Stopwatch.StartNew();
            var end = await pbm.RunAsync("devices", "revoke", [name, "--reason", "benchmark"], _ => { }, CancellationToken.None);
            if (end.ExitCode != ExitCodes.Ok) throw new InvalidOperationException($"revoke {name}: {end.Error} {end.Message}");
            commands.Add(command.Elapsed.TotalMilliseconds);
            var answered = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select(async client =>
            {
                while ((await client.GetAsync("config")).StatusCode != HttpStatusCode.Forbidden)
                {
                    if (answered.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"a gateway still serves {name} 60 s after its revocation");
                    await Task.Delay(5);
                }
            }));
            timings.Add(answered.Elapsed.TotalMilliseconds);
        }
        foreach (var (_, clients) in devices)
            foreach (var client in clients) client.Dispose();
        Console.WriteLine($"revocation propagation, 3 nodes (TLS remoting, PostgreSQL), {count} revocations, {Environment.ProcessorCount} cores");
        Console.WriteLine($"  from 'devices revoke' answered to every gateway refusing: {Summary(timings)}");
        Console.WriteLine($"  'devices revoke' round trip (twin + deny list persisted):   {Summary(commands)}");
        return Percentile(timings, 99) < 5000 ? 0 : 1;
    }

    private static string Summary(List<double> ms) =>
        $"p50 {Percentile(ms, 50):0.0} ms, p95 {Percentile(ms, 95):0.0} ms, p99 {Percentile(ms, 99):0.0} ms, max {ms.Max():0.0} ms";

    private static double Percentile(List<double> values, double percent)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
