using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.Node.Gateway;

namespace FleetOrchestrator.Node.Benchmarks;

/// <summary>
/// Check-ins that change nothing: GET /repo/timestamp.json with If-None-Match → 304, over loopback HTTPS
/// with keep-alive and one client certificate per device (one connection each), closed loop. Rounds
/// alternate between the fleet-node gateway and a bare Kestrel endpoint with the same TLS setup.
/// </summary>
internal static class CheckinBenchmark
{
    private sealed record Round(string Server, int Number, double PerSecond, double P50, double P99, double Max, long Requests, long Errors);

    public static async Task<int> RunAsync(Options options)
    {
        var seconds = options.Int("seconds", 10);
        var rounds = options.Int("rounds", 3);
        var connections = options.Int("connections", 64);
        var data = Path.Combine(Path.GetTempPath(), "fleet-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var token = await Init.RunAsync(["--factory", "bench", "--data", data, "--registry", "127.0.0.1:5000", "--plain-http"]);
        var hocon = Path.Combine(data, "hocon");
        Directory.CreateDirectory(hocon);
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "hocon"), "*.conf"))
            File.Copy(file, Path.Combine(hocon, Path.GetFileName(file)));
        // The per-device limit still runs on every request; it is raised so that a few devices can stand for a fleet.
        await File.WriteAllTextAsync(Path.Combine(hocon, "zz-bench.conf"), "fleet.gateway { device-requests-per-second = 1000000, device-request-burst = 1000000\n" +
            // Every benchmark device registers and connects from loopback.
            "registration { per-minute = 1000000, burst = 1000000 }, connections.max-per-address = 100000 }\nakka.loglevel = WARNING\n");
        using var ca = X509CertificateLoader.LoadCertificateFromFile(new FactoryFiles(data).CaCertificateFile);

        var nodePort = FreePort();
        var barePort = FreePort();
        using var node = Child("serve-node", "--data", data, "--port", nodePort.ToString(), "--hocon", hocon);
        using var bare = Child("serve-bare", "--data", data, "--port", barePort.ToString());
        try
        {
            await ReadyAsync(node);
            await ReadyAsync(bare);
            var nodeUrl = new Uri($"https://127.0.0.1:{nodePort}/");
            var bareUrl = new Uri($"https://127.0.0.1:{barePort}/");
            Console.Error.WriteLine($"registering {connections} devices");
            var devices = new List<X509Certificate2>();
            for (var i = 0; i < connections; i++) devices.Add(await RegisterAsync(nodeUrl, ca, token, $"bench-{i:D4}"));
            var nodeClients = devices.Select(d => Client(nodeUrl, ca, d)).ToArray();
            var bareClients = devices.Select(d => Client(bareUrl, ca, d)).ToArray();
            var nodeTag = await ETagAsync(nodeClients[0]);
            var bareTag = await ETagAsync(bareClients[0]);

            var results = new List<Round>();
            for (var round = 1; round <= rounds; round++)
            {
                results.Add(await RunRoundAsync("fleet-node gateway", round, nodeClients, nodeTag, TimeSpan.FromSeconds(seconds)));
                results.Add(await RunRoundAsync("bare Kestrel", round, bareClients, bareTag, TimeSpan.FromSeconds(seconds)));
            }
            Console.WriteLine($"check-ins with If-None-Match → 304; {connections} devices, one keep-alive TLS connection each, closed loop; {seconds} s per round after 2 s warm-up");
            Console.WriteLine($"{Environment.ProcessorCount} cores; load average after the run: {File.ReadAllText("/proc/loadavg").Trim()}");
            Console.WriteLine("| round | server | requests/s | p50 ms | p99 ms | max ms | requests | non-304 |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|");
            foreach (var r in results)
                Console.WriteLine($"| {r.Number} | {r.Server} | {r.PerSecond:N0} | {r.P50:F2} | {r.P99:F2} | {r.Max:F1} | {r.Requests:N0} | {r.Errors} |");
            foreach (var server in results.Select(r => r.Server).Distinct())
            {
                var mine = results.Where(r => r.Server == server).OrderBy(r => r.PerSecond).ToList();
                var median = mine[mine.Count / 2];
                Console.WriteLine($"| median | {server} | {median.PerSecond:N0} | {median.P50:F2} | {median.P99:F2} | {median.Max:F1} | | |");
            }
            var errors = results.Sum(r => r.Errors);
            foreach (var client in nodeClients.Concat(bareClients)) client.Dispose();
            return errors == 0 ? 0 : 1;
        }
        finally
        {
            Stop(node);
            Stop(bare);
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<Round> RunRoundAsync(string server, int number, HttpClient[] clients, string etag, TimeSpan duration)
    {
        var loop = await ClosedLoop.RunAsync(clients.Length, duration, async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "repo/timestamp.json");
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            using var response = await clients[i].SendAsync(request);
            return response.StatusCode == HttpStatusCode.NotModified;
        });
        var result = new Round(server, number, loop.PerSecond, loop.Ms(0.5), loop.Ms(0.99), loop.Ms(1), loop.Latencies.Length, loop.Errors);
        Console.Error.WriteLine($"round {number} {server}: {result.PerSecond:N0}/s p99 {result.P99:F2} ms");
        return result;
    }

    private static HttpClient Client(Uri baseUrl, X509Certificate2 ca, X509Certificate2? device)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            SslOptions =
            {
                ClientCertificates = device is null ? null : new X509CertificateCollection { device },
                RemoteCertificateValidationCallback = (_, server, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return server is X509Certificate2 certificate && chain.Build(certificate);
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    private static async Task<X509Certificate2> RegisterAsync(Uri gateway, X509Certificate2 ca, string token, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using var client = Client(gateway, ca, null);
        var answer = await client.PostAsJsonAsync("devices", new RegistrationRequest(token, name, csr, "generic", "main"));
        answer.EnsureSuccessStatusCode();
        var response = (await answer.Content.ReadFromJsonAsync<RegistrationResponse>())!;
        using var issued = X509Certificate2.CreateFromPem(response.Certificate);
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>The timestamp's ETag, once the server serves it (the node loads its metadata asynchronously).</summary>
    private static async Task<string> ETagAsync(HttpClient client)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            using var response = await client.GetAsync("repo/timestamp.json");
            if (response.IsSuccessStatusCode) return response.Headers.ETag!.ToString();
            await Task.Delay(100);
        }
        throw new TimeoutException("the server never served timestamp.json");
    }

    private static Process Child(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(CheckinBenchmark).Assembly.Location);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[{args[0]}] {e.Data}"); };
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task ReadyAsync(Process child)
    {
        while (await child.StandardOutput.ReadLineAsync() is { } line)
            if (line == "ready")
            {
                // Keep draining so the child never blocks on a full pipe.
                _ = child.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                return;
            }
        throw new InvalidOperationException($"child exited with {child.ExitCode} before it was ready");
    }

    private static void Stop(Process child)
    {
        child.StandardInput.Close();
        if (!child.WaitForExit(TimeSpan.FromSeconds(20))) child.Kill(entireProcessTree: true);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
