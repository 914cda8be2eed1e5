using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary><c>--tag T --apps all|none|a,b</c> of <c>groups config</c> and <c>devices config</c>, checked before anything is asked.</summary>
public static class DeviceConfigSwitches
{
    public static DeviceConfig Parse(CommandInvocation invocation)
    {
        var tag = invocation.String("tag");
        var apps = invocation.String("apps");
        if (tag is null || apps is null)
            throw new CommandFailedException(ErrorCodes.Usage, $"{invocation.Palette} {invocation.Command.Name} needs both --tag and --apps", ExitCodes.Usage);
        var config = DeviceConfig.Of(tag, apps.Trim() switch
        {
            "all" => null,
            "none" or "" => [],
            var list => list.Split(',', StringSplitOptions.TrimEntries),
        });
        return config.Problem is { } problem ? throw new CommandFailedException(ErrorCodes.Usage, problem, ExitCodes.Usage) : config;
    }
}
