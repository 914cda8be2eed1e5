using CliWrap;

namespace FleetOrchestrator.Edge.Compose;

/// <summary>A compose command failed; <see cref="Output"/> is the tail of what it printed.</summary>
public sealed class ComposeException(string project, string action, string problem, string output)
    : Exception($"compose {action} of project {project} {problem}" + (output.Length == 0 ? "" : $": {output}"))
{
    public string Project { get; } = project;
    public string Action { get; } = action;
    public string Output { get; } = output;
}

/// <summary>
/// The docker compose command line: <c>docker compose</c> (v2 plugin) or <c>docker-compose</c> (v1), detected
/// or configured. Output is kept bounded: the last <see cref="MaxOutputLines"/> lines, each cut at <see cref="MaxLineChars"/>.
/// </summary>
public sealed record ComposeCommand(string Executable, IReadOnlyList<string> LeadingArguments)
{
    public const int MaxOutputLines = 40;
    public const int MaxLineChars = 500;

    public static ComposeCommand DockerComposePlugin { get; } = new("docker", ["compose"]);
    public static ComposeCommand DockerComposeStandalone { get; } = new("docker-compose", []);

    /// <summary>A configured command line such as "docker compose" or "/usr/bin/docker-compose".</summary>
    public static ComposeCommand Parse(string commandLine)
    {
        var words = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0) throw new ArgumentException("the compose command is empty", nameof(commandLine));
        return new ComposeCommand(words[0], words[1..]);
    }

    /// <summary><c>docker compose</c> when <c>docker compose version</c> works, else <c>docker-compose</c> when it runs.</summary>
    /// <exception cref="InvalidOperationException">Neither works.</exception>
    public static async Task<ComposeCommand> DetectAsync(CancellationToken ct)
    {
        var problems = new List<string>();
        foreach (var candidate in new[] { DockerComposePlugin, DockerComposeStandalone })
        {
            var result = await candidate.TryRunAsync(["version"], Environment.CurrentDirectory, TimeSpan.FromSeconds(30), ct);
            if (result.ExitCode == 0) return candidate;
            problems.Add($"'{candidate} version' failed: {result.Output}");
        }
        throw new InvalidOperationException("no docker compose command found; " + string.Join("; ", problems));
    }

    public override string ToString() => string.Join(' ', [Executable, .. LeadingArguments]);

    internal sealed record Result(int ExitCode, string Output);

    /// <summary>Runs the command; a missing executable is reported as exit code -1 with the reason.</summary>
    internal async Task<Result> TryRunAsync(IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout, CancellationToken ct)
    {
        var tail = new Queue<string>();
        void Keep(string line)
        {
            lock (tail)
            {
                tail.Enqueue(line.Length > MaxLineChars ? line[..MaxLineChars] + "..." : line);
                if (tail.Count > MaxOutputLines) tail.Dequeue();
            }
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            var result = await Cli.Wrap(Executable)
                .WithArguments([.. LeadingArguments, .. arguments])
                .WithWorkingDirectory(workingDirectory)
                .WithStandardOutputPipe(PipeTarget.ToDelegate(Keep))
                .WithStandardErrorPipe(PipeTarget.ToDelegate(Keep))
                .WithValidation(CommandResultValidation.None)
                .ExecuteAsync(limit.Token);
            return new Result(result.ExitCode, string.Join('\n', tail));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Result(-1, $"no result within {timeout}; last output: {string.Join('\n', tail)}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new Result(-1, $"cannot run {Executable}: {e.Message}");
        }
    }
}
