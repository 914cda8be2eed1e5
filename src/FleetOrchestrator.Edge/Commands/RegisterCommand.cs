using System.CommandLine;
using FleetOrchestrator.Edge.Registration;

namespace FleetOrchestrator.Edge.Commands;

/// <summary><c>fleet-edge register</c>: exit 0 when registered, 1 with the reason on stderr (nothing written).</summary>
public static class RegisterCommand
{
    public const string DefaultDataDirectory = "/var/lib/fleet-edge";

    public static Option<string> DataDirectoryOption() => new("--data-dir")
    {
        Description = "The agent's folder: keys, settings, journal, store and apps",
        DefaultValueFactory = _ => DefaultDataDirectory,
    };

    public static Command Create()
    {
        var gateway = new Option<string>("--gateway") { Description = "The device gateway, https://host:port", Required = true };
        var token = new Option<string>("--token") { Description = "The factory's registration token", Required = true };
        var hardwareId = new Option<string>("--hardware-id") { Description = "Hardware id targets are matched against", Required = true };
        var name = new Option<string>("--name") { Description = "Device name (default: the host name)" };
        var tag = new Option<string>("--tag") { Description = "Tag whose targets this device follows", DefaultValueFactory = _ => "main" };
        var group = new Option<string>("--group") { Description = "Device group", DefaultValueFactory = _ => "" };
        var gatewayCa = new Option<string>("--gateway-ca") { Description = "The factory CA certificate (PEM) the gateway must present; without it the first contact is trust-on-first-use" };
        var dataDirectory = DataDirectoryOption();

        var command = new Command("register", "Create this device's key, register it with the gateway, and keep its certificate and trusted root");
        foreach (var option in new Option[] { gateway, token, hardwareId, name, tag, group, gatewayCa, dataDirectory })
            command.Options.Add(option);
        command.SetAction(async (result, ct) =>
        {
            try
            {
                if (!Uri.TryCreate(result.GetRequiredValue(gateway), UriKind.Absolute, out var url))
                    throw new RegistrationException($"--gateway must be an absolute https:// URL, got '{result.GetValue(gateway)}'");
                var files = await DeviceRegistrar.RegisterAsync(new RegistrationOptions(url, result.GetRequiredValue(token), result.GetRequiredValue(hardwareId),
                    result.GetValue(name) ?? DeviceRegistrar.DefaultDeviceName(), result.GetValue(tag)!, result.GetValue(group)!,
                    result.GetValue(dataDirectory)!, result.GetValue(gatewayCa)), ct);
                Console.WriteLine($"registered {files.DeviceName()}; files in {files.DataDirectory}");
                return 0;
            }
            catch (Exception e) when (e is RegistrationException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"fleet-edge register: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
