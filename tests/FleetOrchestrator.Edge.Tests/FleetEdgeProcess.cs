using CliWrap;
using CliWrap.Buffered;

namespace FleetOrchestrator.Edge.Tests;

/// <summary>Runs the built fleet-edge (copied next to the tests by the project reference) as a separate process.</summary>
public static class FleetEdgeProcess
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "fleet-edge.dll");

    public static async Task<BufferedCommandResult> RunAsync(params string[] args)
    {
        Assert.True(File.Exists(Dll), $"fleet-edge.dll not found at {Dll}");
        return await Cli.Wrap("dotnet").WithArguments([Dll, .. args])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();
    }
}
