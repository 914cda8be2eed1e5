using CliWrap;
using CliWrap.Buffered;

namespace FleetOrchestrator.TestSupport;

/// <summary>
/// A throwaway containers.git: a real git repository, made from examples/containers (retargeted to a
/// test registry and factory) or from scratch.
/// </summary>
public sealed class ContainersGit : IDisposable
{
    /// <summary>How examples/containers writes factory images; retargeted on copy.</summary>
    public const string ExamplesFactoryPrefix = "127.0.0.1:5000/demo/";

    private readonly TempDirectory _dir = new();
    public string Path => _dir.Path;

    private ContainersGit() { }

    public static async Task<ContainersGit> CreateAsync()
    {
        var repo = new ContainersGit();
        await repo.GitAsync("init", "-q", "-b", "main");
        return repo;
    }

    /// <summary>The seed examples with factory images moved to <paramref name="registry"/>/<paramref name="factory"/>.</summary>
    public static async Task<ContainersGit> FromExamplesAsync(string registry, string factory)
    {
        var repo = await CreateAsync();
        var examples = System.IO.Path.Combine(RepositoryRoot(), "examples", "containers");
        foreach (var file in Directory.EnumerateFiles(examples, "*", SearchOption.AllDirectories))
        {
            var relative = System.IO.Path.GetRelativePath(examples, file);
            if (relative == "README.md") continue;
            var text = await File.ReadAllTextAsync(file);
            repo.Write(relative, text.Replace(ExamplesFactoryPrefix, $"{registry}/{factory}/", StringComparison.Ordinal));
        }
        await repo.CommitAsync("examples");
        return repo;
    }

    public string Write(string relative, string content) => _dir.Write(relative, content);

    public async Task<string> CommitAsync(string message)
    {
        await GitAsync("add", "-A");
        await GitAsync("-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-q", "--allow-empty", "-m", message);
        return (await GitAsync("rev-parse", "HEAD")).Trim();
    }

    public async Task<string> GitAsync(params string[] args)
    {
        var result = await Cli.Wrap("git").WithWorkingDirectory(Path).WithArguments(args)
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        if (result.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)}: {result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary>The folder holding FleetOrchestrator.sln, found upwards from the test assembly.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "FleetOrchestrator.sln"))) return dir.FullName;
        throw new InvalidOperationException("FleetOrchestrator.sln not found above " + AppContext.BaseDirectory);
    }

    public void Dispose() => _dir.Dispose();
}
