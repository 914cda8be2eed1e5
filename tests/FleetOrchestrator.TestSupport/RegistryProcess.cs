using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FleetOrchestrator.TestSupport;

/// <summary>
/// A real distribution <c>registry</c> (Debian package docker-registry) on a free loopback port,
/// storing into a temporary folder that is removed on dispose.
/// </summary>
public sealed class RegistryProcess : IAsyncDisposable, IDisposable
{
    private readonly Process _process;
    public string RootDirectory { get; }
    public int Port { get; }
    /// <summary>host:port as a registry domain, e.g. 127.0.0.1:41234.</summary>
    public string Address => $"127.0.0.1:{Port}";

    private RegistryProcess(Process process, string root, int port)
    {
        _process = process;
        RootDirectory = root;
        Port = port;
    }

    public static string FindBinary()
    {
        foreach (var candidate in new[] { "/usr/bin/docker-registry", "/usr/local/bin/registry", "/usr/bin/registry" })
            if (File.Exists(candidate)) return candidate;
        throw new InvalidOperationException(
            "The distribution registry binary is missing: run './build.sh setup' (Debian package docker-registry).");
    }

    /// <param name="htpasswd">Optional htpasswd file content (bcrypt) to require basic auth.</param>
    /// <param name="authSection">Optional <c>auth:</c> section of the registry configuration, as YAML (e.g. token auth).</param>
    /// <param name="port">A fixed port (e.g. one a test already pointed a client at); default: a free one.</param>
    public static async Task<RegistryProcess> StartAsync(string? htpasswd = null, string? authSection = null, int? port = null)
    {
        var binary = FindBinary();
        var root = Path.Combine(Path.GetTempPath(), "fleet-registry-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        for (var attempt = 0; ; attempt++)
        {
            var listenPort = port ?? FreePort();
            var auth = authSection is null ? "" : authSection.TrimEnd() + "\n";
            if (htpasswd is not null)
            {
                var file = Path.Combine(root, "htpasswd");
                await File.WriteAllTextAsync(file, htpasswd);
                auth = $"auth:\n  htpasswd:\n    realm: fleet-test\n    path: {file}\n";
            }
            var config = Path.Combine(root, "config.yml");
            await File.WriteAllTextAsync(config,
                $"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\n  delete:\n    enabled: true\n{auth}http:\n  addr: 127.0.0.1:{listenPort}\n");
            var psi = new ProcessStartInfo(binary, ["serve", config])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            var process = Process.Start(psi)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var registry = new RegistryProcess(process, root, listenPort);
            if (await registry.WaitReadyAsync(TimeSpan.FromSeconds(10))) return registry;
            registry.Kill();
            if (attempt >= 2)
                throw new InvalidOperationException($"registry did not start on 127.0.0.1:{listenPort}");
        }
    }

    private async Task<bool> WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited) return false;
            try
            {
                using var response = await http.GetAsync($"http://{Address}/v2/");
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return true;
            }
            catch (HttpRequestException) { }
            await Task.Delay(50);
        }
        return false;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Kill()
    {
        try { if (!_process.HasExited) { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }

    public void Dispose()
    {
        Kill();
        try { Directory.Delete(RootDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
