using System.CommandLine;
using System.Text.RegularExpressions;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Hosting;
using FleetOrchestrator.Edge.Registration;
using FleetOrchestrator.Edge.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FleetOrchestrator.Edge.Commands;

/// <summary><c>fleet-edge simulate</c>: runs until stopped (exit 0); exit 1 with the reason when it cannot start.</summary>
public static partial class SimulateCommand
{
    public const string DefaultDataDirectory = "/var/lib/fleet-edge-simulate";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,50}$")]
    private static partial Regex PrefixPattern();

    public static Command Create()
    {
        var gateway = new Option<string>("--gateway") { Description = "The device gateway, https://host:port", Required = true };
        var token = new Option<string>("--token") { Description = "The factory's registration token", Required = true };
        var devices = new Option<int>("--devices") { Description = $"How many devices (1 to {SimulationOptions.MaxDevices:N0})", Required = true };
        var hardwareId = new Option<string>("--hardware-id") { Description = "Hardware id of every device", DefaultValueFactory = _ => "generic" };
        var tag = new Option<string>("--tag") { Description = "Tag the devices follow", DefaultValueFactory = _ => "main" };
        var group = new Option<string>("--group") { Description = "Device group of every device", DefaultValueFactory = _ => "" };
        var failRate = new Option<double>("--fail-rate") { Description = "Share of devices (0 to 1) on which each new app version fails to start", DefaultValueFactory = _ => 0 };
        var prefix = new Option<string>("--prefix") { Description = "Device names are <prefix>-1 .. <prefix>-N", DefaultValueFactory = _ => "sim" };
        var gatewayCa = new Option<string>("--gateway-ca") { Description = "The factory CA certificate (PEM) the gateway must present" };
        var config = new Option<string>("--config") { Description = "HOCON settings applied over every device's edge.conf (registry, health window...)" };
        var poll = new Option<string>("--poll-interval") { Description = "Poll interval of every device, e.g. 10s (default: edge.conf's)" };
        var reportEvery = new Option<string>("--report-every") { Description = "How often a summary line is printed", DefaultValueFactory = _ => "10s" };
        var verbose = new Option<bool>("--verbose") { Description = "Log every agent's cycles (default: warnings only)" };
        var dataDirectory = new Option<string>("--data-dir")
        {
            Description = "Folder of the simulation: a folder per device under devices/, and the shared journal",
            DefaultValueFactory = _ => DefaultDataDirectory,
        };
        var command = new Command("simulate", "Run N simulated devices in one process (real registration, TUF, downloads and extraction; simulated container runtime)");
        foreach (var option in new Option[] { gateway, token, devices, hardwareId, tag, group, failRate, prefix, gatewayCa, config, poll, reportEvery, verbose, dataDirectory })
            command.Options.Add(option);
        command.SetAction(async (result, ct) =>
        {
            SimulationOptions options;
            TimeSpan summaryInterval;
            try
            {
                if (!Uri.TryCreate(result.GetRequiredValue(gateway), UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
                    throw new ArgumentException($"--gateway must be an absolute https:// URL, got '{result.GetValue(gateway)}'");
                var count = result.GetValue(devices);
                if (count is < 1 or > SimulationOptions.MaxDevices) throw new ArgumentException($"--devices must be from 1 to {SimulationOptions.MaxDevices}, got {count}");
                var rate = result.GetValue(failRate);
                if (rate is < 0 or > 1 || double.IsNaN(rate)) throw new ArgumentException($"--fail-rate must be from 0 to 1, got {rate}");
                var namePrefix = result.GetValue(prefix)!;
                if (!PrefixPattern().IsMatch(namePrefix)) throw new ArgumentException($"--prefix \"{namePrefix}\" must be 1-51 of a-z 0-9 - starting with a letter or digit");
                var pollText = result.GetValue(poll);
                options = new SimulationOptions(url, result.GetRequiredValue(token), count, result.GetValue(hardwareId)!, result.GetValue(tag)!, result.GetValue(group)!,
                    rate, namePrefix, Path.GetFullPath(result.GetValue(dataDirectory)!), result.GetValue(gatewayCa), result.GetValue(config),
                    pollText is null ? null : Duration("--poll-interval", pollText));
                summaryInterval = Duration("--report-every", result.GetValue(reportEvery)!);
            }
            catch (ArgumentException e)
            {
                return await FailAsync(e.Message);
            }

            try
            {
                Directory.CreateDirectory(options.DataDirectory);
                await using var held = EdgeHost.LockDataDirectory(options.DataDirectory);
                var step = Math.Max(1, options.Devices / 10);
                var registered = await FleetSimulation.RegisterAsync(options, done =>
                {
                    if (done % step == 0 || done == options.Devices) Console.Error.WriteLine($"fleet-edge simulate: registered {done}/{options.Devices}");
                }, ct);
                var settings = FleetSimulation.LoadSettings(options);
                Console.WriteLine($"simulating {options.Devices} devices ({registered} newly registered) in {options.DataDirectory}; fail rate {options.FailRate}");
                using var host = FleetSimulation.Build(options, settings, result.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
                await host.StartAsync(ct);
                using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct, host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
                try
                {
                    while (true)
                    {
                        await Task.Delay(summaryInterval, stopping.Token);
                        Console.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss} {FleetSimulation.Summarize(settings)}");
                    }
                }
                catch (OperationCanceledException)
                {
                    // stopped (Ctrl-C or SIGTERM)
                }
                await host.StopAsync(CancellationToken.None);
                Console.WriteLine($"stopped; {FleetSimulation.Summarize(settings)}");
                return 0;
            }
            catch (Exception e) when (e is RegistrationException or EdgeSettingsException or IOException or UnauthorizedAccessException)
            {
                return await FailAsync(e.Message);
            }
        });
        return command;
    }

    /// <summary>A HOCON duration such as 10s, 2m or 500ms.</summary>
    private static TimeSpan Duration(string option, string text)
    {
        try
        {
            var value = Akka.Configuration.ConfigurationFactory.ParseString($"d = \"{text.Replace("\"", "")}\"").GetTimeSpan("d", null, allowInfinite: false);
            if (value >= TimeSpan.FromSeconds(1) && value <= TimeSpan.FromDays(1)) return value;
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            // reported below
        }
        throw new ArgumentException($"{option} must be a duration from 1s to 1d such as 10s or 5m, got '{text}'");
    }

    private static async Task<int> FailAsync(string message)
    {
        await Console.Error.WriteLineAsync($"fleet-edge simulate: {message}");
        return 1;
    }
}
