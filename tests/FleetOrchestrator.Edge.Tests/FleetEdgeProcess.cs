using CliWrap;
using CliWrap.Buffered;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Edge.Tests;

/// <summary>
/// Runs the built fleet-edge as a separate process, from the Edge project's own output folder (built by the project
/// reference): its runtime config and dependencies are the agent's, not those of this test project (which adds ASP.NET Core).
/// </summary>
public static class FleetEdgeProcess
{
    private static readonly string Dll = Locate();

    private static string Locate()
    {
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        return Path.Combine(ContainersGit.RepositoryRoot(), "src", "FleetOrchestrator.Edge", "bin", tfm.Parent!.Name, tfm.Name, "fleet-edge.dll");
    }

    /// <summary>A run that hangs is killed after this long, so a stuck agent fails the test instead of blocking it.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    /// <summary>Starts a long-running command (the daemon); stop it with <see cref="InterruptAsync"/>. It is killed after the usual limit.</summary>
    public static CommandTask<BufferedCommandResult> Start(params string[] args)
    {
        Assert.True(File.Exists(Dll), $"fleet-edge.dll not found at {Dll}");
        return Cli.Wrap("dotnet").WithArguments([Dll, .. args])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(new CancellationTokenSource(Limit).Token);
    }

    /// <summary>SIGINT, as an operator's Ctrl+C.</summary>
    public static async Task InterruptAsync(int processId) =>
        await Cli.Wrap("kill").WithArguments(["-INT", processId.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExecuteAsync();

    public static Task<BufferedCommandResult> RunAsync(params string[] args) => RunAsync(args, new Dictionary<string, string?>());

    public static async Task<BufferedCommandResult> RunAsync(string[] args, IReadOnlyDictionary<string, string?> environment)
    {
        Assert.True(File.Exists(Dll), $"fleet-edge.dll not found at {Dll}");
        using var limit = new CancellationTokenSource(Limit);
        return await Cli.Wrap("dotnet").WithArguments([Dll, .. args])
            .WithEnvironmentVariables(environment)
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(limit.Token);
    }
}
