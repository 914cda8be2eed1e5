using CliWrap;
using CliWrap.Buffered;

namespace FleetOrchestrator.TestSupport;

/// <summary>
/// The real Docker engine, through the docker CLI. Tests that need it fail (never skip) when it is
/// missing: `./build.sh test` starts it, and CI must not pass without it.
/// </summary>
public static class DockerEngine
{
    private static readonly SemaphoreSlim ImportLock = new(1, 1);
    private static bool _checked;

    /// <summary>Throws with the fix when the engine does not answer.</summary>
    public static async Task RequireAsync()
    {
        if (_checked) return;
        BufferedCommandResult result;
        try
        {
            result = await Cli.Wrap("docker").WithArguments(["info", "--format", "{{.ServerVersion}}"])
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("docker CLI not found: run './build.sh setup'", e);
        }
        if (result.ExitCode != 0)
            throw new InvalidOperationException(
                "The Docker engine is not running: run './build.sh infra up' (CI=" +
                (Environment.GetEnvironmentVariable("CI") ?? "false") + "). docker said: " + result.StandardError.Trim());
        _checked = true;
    }

    public static async Task<string> RunAsync(params string[] args)
    {
        var result = await Cli.Wrap("docker").WithArguments(args)
            .WithEnvironmentVariables(e => e.Set("DOCKER_BUILDKIT", "0"))
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed ({result.ExitCode}): {result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary>
    /// An offline image made from the machine's busybox-static, named for what it is:
    /// <c>offline/busybox:TAG</c> (default tag <c>static</c>). The tag lets tests make images with distinct digests.
    /// </summary>
    public static async Task<string> BusyboxImageAsync(string tag = "static")
    {
        await RequireAsync();
        var name = $"offline/busybox:{tag}";
        await ImportLock.WaitAsync();
        try
        {
            var existing = await Cli.Wrap("docker").WithArguments(["image", "inspect", name])
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
            if (existing.ExitCode == 0) return name;
            var busybox = new[] { "/bin/busybox", "/usr/bin/busybox" }.FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException("busybox-static is missing: run './build.sh setup'");
            var root = Path.Combine(Path.GetTempPath(), "fleet-bb-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(Path.Combine(root, "bin"));
            File.Copy(busybox, Path.Combine(root, "bin", "busybox"));
            foreach (var applet in new[] { "sh", "ls", "cat", "echo", "sleep", "httpd", "wget", "true" })
                File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
            // The tag goes into the image so that each tag has its own digest.
            await File.WriteAllTextAsync(Path.Combine(root, "image-tag"), tag);
            var tar = Path.Combine(Path.GetTempPath(), $"fleet-bb-{Guid.NewGuid():N}.tar");
            await Cli.Wrap("tar").WithArguments(["-C", root, "-cf", tar, "."]).ExecuteBufferedAsync();
            await RunAsync("import", "--change", "ENV PATH=/bin", tar, name);
            File.Delete(tar);
            Directory.Delete(root, true);
            return name;
        }
        finally { ImportLock.Release(); }
    }

    /// <summary>Tags an offline image into a registry and pushes it; returns the pushed reference.</summary>
    public static async Task<string> PushAsync(string localImage, string registry, string repository, string tag)
    {
        var target = $"{registry}/{repository}:{tag}";
        await RunAsync("tag", localImage, target);
        await RunAsync("push", target);
        return target;
    }
}
