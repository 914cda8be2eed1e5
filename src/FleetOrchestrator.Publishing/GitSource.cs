using CliWrap;
using CliWrap.Buffered;

namespace FleetOrchestrator.Publishing;

/// <summary>The revision of containers.git being published.</summary>
/// <param name="CommitCount">Commits reachable from the revision: the default target version.</param>
public sealed record SourceRevision(string CommitSha, string ShortSha, long CommitCount);

/// <summary>
/// Reads containers.git through the git CLI. The tree is exported with <c>git archive</c>, so what is
/// published is exactly the committed revision: no untracked files, no local edits.
/// </summary>
public static class GitSource
{
    /// <summary>A local checkout is used in place; anything else is cloned bare into <paramref name="scratch"/>.</summary>
    public static async Task<string> OpenAsync(string repository, string scratch, CancellationToken ct)
    {
        if (Directory.Exists(repository)) return Path.GetFullPath(repository);
        var clone = Path.Combine(scratch, "repo.git");
        await GitAsync(scratch, ct, "clone", "--bare", "--quiet", "--", repository, clone);
        return clone;
    }

    public static async Task<SourceRevision> ResolveAsync(string repository, string reference, CancellationToken ct)
    {
        if (reference.StartsWith('-') || reference.Length > 256)
            throw new PublishException($"'{reference}' is not a git ref");
        var sha = (await GitAsync(repository, ct, "rev-parse", "--verify", "--quiet", reference + "^{commit}")).Trim();
        var shortSha = (await GitAsync(repository, ct, "rev-parse", "--short=7", sha)).Trim();
        var count = long.Parse((await GitAsync(repository, ct, "rev-list", "--count", sha)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return new SourceRevision(sha, shortSha, count);
    }

    /// <summary>The commit a branch points at, read without a clone (<c>git ls-remote</c>), for watching a repository cheaply.</summary>
    public static async Task<string> HeadOfAsync(string repository, string branch, CancellationToken ct)
    {
        if (branch.StartsWith('-') || branch.Length is 0 or > 256 || branch.Any(char.IsWhiteSpace))
            throw new PublishException($"'{branch}' is not a branch name");
        var output = await GitAsync(Path.GetTempPath(), ct, "ls-remote", "--heads", "--", repository, "refs/heads/" + branch);
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(l => l.EndsWith("\trefs/heads/" + branch, StringComparison.Ordinal));
        return line?[..line.IndexOf('\t')] ?? throw new PublishException($"{repository} has no branch '{branch}'");
    }

    /// <summary>Writes the tree of <paramref name="commitSha"/> into <paramref name="destination"/> (symlinks stay links).</summary>
    public static async Task ExportAsync(string repository, string commitSha, string destination, CancellationToken ct)
    {
        Directory.CreateDirectory(destination);
        var stderr = new System.Text.StringBuilder();
        var archive = Cli.Wrap("git").WithWorkingDirectory(repository).WithArguments(["archive", "--format=tar", commitSha])
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr));
        var extract = Cli.Wrap("tar").WithArguments(["-x", "--no-same-owner", "-C", destination])
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr));
        try { await (archive | extract).ExecuteAsync(ct); }
        catch (CliWrap.Exceptions.CommandExecutionException e)
        {
            throw new PublishException($"could not export {commitSha} of {repository}: {stderr} ({e.Message})", e);
        }
    }

    private static async Task<string> GitAsync(string workingDirectory, CancellationToken ct, params string[] args)
    {
        var result = await Cli.Wrap("git").WithWorkingDirectory(workingDirectory).WithArguments(args)
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
        if (result.ExitCode != 0)
            throw new PublishException($"git {string.Join(' ', args)} failed in {workingDirectory}: {result.StandardError.Trim()}");
        return result.StandardOutput;
    }
}
