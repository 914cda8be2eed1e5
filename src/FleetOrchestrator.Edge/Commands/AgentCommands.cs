using System.CommandLine;
using System.Text.Json;
using Akka.Actor;
using Docker.DotNet;
using FleetOrchestrator.Edge.Agent;
using FleetOrchestrator.Edge.Compose;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Hosting;
using FleetOrchestrator.Edge.Install;
using FleetOrchestrator.Edge.Outbox;
using FleetOrchestrator.Edge.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FleetOrchestrator.Edge.Commands;

/// <summary><c>fleet-edge update --once</c>, <c>status</c> and <c>run</c>: each takes --data-dir and --config.</summary>
public static class AgentCommands
{
    private const int Failure = 1;

    /// <summary>Longest one cycle may take before update --once gives up waiting (downloads and the health window included).</summary>
    private static readonly TimeSpan CycleLimit = TimeSpan.FromHours(2);

    /// <summary>How long update --once tries to hand its reports to the gateway before exiting (they stay queued otherwise).</summary>
    private static readonly TimeSpan FlushLimit = TimeSpan.FromSeconds(20);

    private static Option<string> ConfigOption() => new("--config") { Description = "Settings file (default: <data-dir>/edge.conf)" };

    public static Command Update()
    {
        var dataDirectory = RegisterCommand.DataDirectoryOption();
        var config = ConfigOption();
        var once = new Option<bool>("--once") { Description = "Run one check-and-install cycle and exit (required: the daemon is `fleet-edge run`)" };
        var retryFailed = new Option<bool>("--retry-failed") { Description = "Try again targets that failed on this device" };
        var command = new Command("update", "One check and install cycle. Exit 0 ok, 1 failure, 110 rolled back, 130 rollback failed");
        foreach (var option in new Option[] { dataDirectory, config, once, retryFailed }) command.Options.Add(option);
        command.SetAction(async (result, ct) =>
        {
            if (!result.GetValue(once))
            {
                await Console.Error.WriteLineAsync("fleet-edge update: pass --once (the polling daemon is `fleet-edge run`)");
                return Failure;
            }
            EdgeSettings settings;
            try { settings = EdgeSettings.Load(result.GetValue(dataDirectory)!, result.GetValue(config)); }
            catch (EdgeSettingsException e) { return await FailAsync("update", e.Message); }
            FileStream held;
            try { held = EdgeHost.LockDataDirectory(settings.DataDirectory); }
            catch (IOException e) { return await FailAsync("update", e.Message); }
            await using var _ = held;
            using var host = await EdgeHost.BuildAsync(settings, poll: false, ct);
            await host.StartAsync(ct);
            try
            {
                // SIGTERM reaches the host's lifetime, not the command's token: stop waiting on either.
                using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct, host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
                var agent = await EdgeHost.AgentAsync(host);
                CycleFinished finished;
                try { finished = await agent.Ask<CycleFinished>(new RunCycle(result.GetValue(retryFailed)), CycleLimit, stopping.Token); }
                catch (OperationCanceledException) { return await FailAsync("update", "stopped before the cycle ended; the next run resumes it"); }
                try { await agent.Ask<OutboxFlushed>(new FlushOutbox(), FlushLimit, stopping.Token); }
                catch (Exception e) when (e is AskTimeoutException or OperationCanceledException) { /* reports stay queued for the next run */ }
                var line = $"{finished.Result}: {finished.Message}";
                if (finished.ExitCode == 0) Console.WriteLine(line);
                else await Console.Error.WriteLineAsync($"fleet-edge update: {line}");
                return finished.ExitCode;
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
        });
        return command;
    }

    public static Command Run()
    {
        var dataDirectory = RegisterCommand.DataDirectoryOption();
        var config = ConfigOption();
        var command = new Command("run", "The agent daemon: checks for updates every poll interval (with jitter) until stopped");
        command.Options.Add(dataDirectory);
        command.Options.Add(config);
        command.SetAction(async (result, ct) =>
        {
            EdgeSettings settings;
            try { settings = EdgeSettings.Load(result.GetValue(dataDirectory)!, result.GetValue(config)); }
            catch (EdgeSettingsException e) { return await FailAsync("run", e.Message); }
            FileStream held;
            try { held = EdgeHost.LockDataDirectory(settings.DataDirectory); }
            catch (IOException e) { return await FailAsync("run", e.Message); }
            await using var _ = held;
            using var host = await EdgeHost.BuildAsync(settings, poll: true, ct);
            await host.RunAsync(ct);
            return 0;
        });
        return command;
    }

    public static Command Status()
    {
        var dataDirectory = RegisterCommand.DataDirectoryOption();
        var config = ConfigOption();
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts" };
        var command = new Command("status", "Current target, each app with its URI and state, pending reports, last check-in");
        foreach (var option in new Option[] { dataDirectory, config, json }) command.Options.Add(option);
        command.SetAction(async (result, ct) =>
        {
            EdgeSettings settings;
            try { settings = EdgeSettings.Load(result.GetValue(dataDirectory)!, result.GetValue(config)); }
            catch (EdgeSettingsException e) { return await FailAsync("status", e.Message); }
            var status = AgentStatus.Read(settings) ?? new AgentStatus(settings.DeviceName, null, null, [], 0, null, "never ran");
            var apps = await LiveAppStatesAsync(settings, status.Current, ct);
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    device = status.Device,
                    target = status.Current?.Name,
                    version = status.Current?.Version,
                    apps = apps.ToDictionary(a => a.Key, a => new { uri = a.Value.Uri, state = a.Value.State }),
                    updateInProgress = status.UpdateInProgress,
                    failedTargets = status.FailedTargets,
                    pendingEvents = status.PendingReports,
                    lastCheckIn = status.LastCheckIn,
                    lastResult = status.LastResult,
                }, new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            Console.WriteLine($"device:          {status.Device}");
            Console.WriteLine($"target:          {(status.Current is { } c ? $"{c.Name} (version {c.Version})" : "none")}");
            foreach (var (app, (uri, state)) in apps) Console.WriteLine($"  {app,-20} {state,-10} {uri}");
            if (status.UpdateInProgress is { } inProgress) Console.WriteLine($"update:          {inProgress}");
            if (status.FailedTargets.Count > 0) Console.WriteLine($"failed targets:  {string.Join(", ", status.FailedTargets)}");
            Console.WriteLine($"pending events:  {status.PendingReports}");
            Console.WriteLine($"last check-in:   {status.LastCheckIn?.ToString("u") ?? "never"}");
            Console.WriteLine($"last result:     {status.LastResult}");
            return 0;
        });
        return command;
    }

    /// <summary>Each app of the current target with its state as the engine shows it now ("unknown" when the engine cannot be asked).</summary>
    private static async Task<SortedDictionary<string, (string Uri, string State)>> LiveAppStatesAsync(EdgeSettings settings, DeviceTarget? current, CancellationToken ct)
    {
        var apps = new SortedDictionary<string, (string, string)>(StringComparer.Ordinal);
        if (current is null) return apps;
        using var docker = new DockerClientConfiguration().CreateClient();
        var installer = new AppInstaller(settings.AppsRoot);
        // Status reads the engine only: the compose command is never run.
        var runtime = new ComposeRuntime(ComposeCommand.Parse(settings.ComposeCommand ?? "docker-compose"), docker, new ComposeOptions { Mirrors = settings.Mirrors });
        foreach (var (app, uri) in current.Apps)
        {
            string state;
            try
            {
                var status = await runtime.StatusAsync(app, installer.AppDirectory(app), ct);
                state = status.Healthy ? "healthy" : status.Running ? "unhealthy" : "stopped";
            }
            catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or TimeoutException or FleetOrchestrator.ComposeApps.Compose.ComposeFileException)
            {
                state = "unknown";
            }
            apps[app] = (uri, state);
        }
        return apps;
    }

    private static async Task<int> FailAsync(string command, string message)
    {
        await Console.Error.WriteLineAsync($"fleet-edge {command}: {message}");
        return Failure;
    }
}
