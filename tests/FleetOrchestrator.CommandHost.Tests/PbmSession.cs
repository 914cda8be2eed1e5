using System.Diagnostics;
using System.Net;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Pbm;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>What one pbm request returned: its frames in order and the end frame.</summary>
public sealed record PbmResult(IReadOnlyList<ServerFrame> Frames, EndFrame End)
{
    public IReadOnlyList<string> Lines => Frames.OfType<LineFrame>().Select(l => l.Text).ToList();

    /// <summary>Rows of every table frame, each row as column → cell.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string?>> Rows => Frames.OfType<TableFrame>()
        .SelectMany(t => t.Rows.Select(r => (IReadOnlyDictionary<string, string?>)t.Columns.Zip(r, (column, cell) => (column, cell)).ToDictionary(p => p.column, p => p.cell)))
        .ToList();

    public System.Text.Json.JsonElement Value => Frames.OfType<ValueFrame>().Single().Value;
}

/// <summary>Talks to a node's command host the way pbm does: in-process through <see cref="PbmConnection"/>, or as the pbm executable.</summary>
public static class PbmClient
{
    public static async Task<PbmResult> RunAsync(IPEndPoint host, string palette, string command, string[]? arguments = null, string? token = null)
    {
        await using var connection = await PbmConnection.ConnectAsync(host.Address.ToString(), host.Port, token, CancellationToken.None);
        return await RunAsync(connection, palette, command, arguments);
    }

    public static async Task<PbmResult> RunAsync(PbmConnection connection, string palette, string command, string[]? arguments = null)
    {
        var frames = new List<ServerFrame>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var end = await connection.RunAsync(palette, command, arguments ?? [], frames.Add, timeout.Token);
        return new PbmResult(frames, end);
    }

    /// <summary>Runs the pbm executable (built next to the tests) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> ProcessAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pbm.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Remove("PBM_TOKEN");
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
