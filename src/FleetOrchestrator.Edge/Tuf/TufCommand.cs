using System.CommandLine;
using FleetOrchestrator.Tuf.Client;

namespace FleetOrchestrator.Edge.Tuf;

/// <summary>
/// <c>fleet-edge tuf</c>: the standard TUF client command line (init, refresh, download) over
/// <see cref="Updater"/>. Exit code 0 on success, 1 on any failure with the reason on stderr.
/// </summary>
public static class TufCommand
{
    private const int Success = 0;
    private const int Failure = 1;

    public static Command Create()
    {
        var metadataDir = new Option<string>("--metadata-dir") { Description = "Folder of trusted TUF metadata (holds only *.json metadata)", Required = true };
        var metadataUrl = new Option<string>("--metadata-url") { Description = "Base URL of the repository's metadata" };
        var targetNames = new Option<string[]>("--target-name") { Description = "Target to download; repeat for several, downloaded in order" };
        var targetBaseUrl = new Option<string>("--target-base-url") { Description = "Base URL of the repository's target files" };
        var targetDir = new Option<string>("--target-dir") { Description = "Folder verified targets are written to" };

        var trustedRoot = new Argument<string>("TRUSTED_ROOT") { Description = "A root.json obtained out of band" };
        var init = new Command("init", "Install a trusted root into the metadata folder (no network)");
        init.Arguments.Add(trustedRoot);
        init.SetAction((result, cancellation) => RunAsync(async () =>
        {
            var raw = await ReadTrustedRootAsync(result.GetRequiredValue(trustedRoot), cancellation);
            await Updater.InitializeAsync(Required(result, metadataDir), raw, cancellation);
        }));

        var refresh = new Command("refresh", "Update the trusted metadata from the repository");
        refresh.SetAction((result, cancellation) => RunAsync(async () =>
        {
            using var http = new HttpClient();
            var updater = new Updater(new UpdaterOptions
            {
                MetadataDir = Required(result, metadataDir),
                MetadataBaseUrl = RequiredUrl(result, metadataUrl),
            }, http);
            await updater.RefreshAsync(cancellation);
        }));

        var download = new Command("download", "Refresh, then download each --target-name in order, stopping at the first failure");
        download.SetAction((result, cancellation) => RunAsync(async () =>
        {
            var names = result.GetValue(targetNames) ?? [];
            if (names.Length == 0) throw new ArgumentException("download needs at least one --target-name");
            using var http = new HttpClient();
            var updater = new Updater(new UpdaterOptions
            {
                MetadataDir = Required(result, metadataDir),
                MetadataBaseUrl = RequiredUrl(result, metadataUrl),
                TargetBaseUrl = RequiredUrl(result, targetBaseUrl),
                TargetDir = Required(result, targetDir),
            }, http);
            await updater.RefreshAsync(cancellation);
            foreach (var name in names)
            {
                var info = await updater.GetTargetInfoAsync(name, cancellation)
                    ?? throw new TufClientException(name, "target-lookup", $"target {name} is not listed by the trusted targets metadata");
                if (await updater.FindCachedTargetAsync(info, cancellation) is null)
                    await updater.DownloadTargetAsync(info, cancellation);
            }
        }));

        var tuf = new Command("tuf", "TUF client: keep trusted metadata current and download verified targets");
        foreach (var option in new Option[] { metadataDir, metadataUrl, targetNames, targetBaseUrl, targetDir })
            tuf.Options.Add(option);
        tuf.Subcommands.Add(init);
        tuf.Subcommands.Add(refresh);
        tuf.Subcommands.Add(download);
        return tuf;
    }

    private static async Task<int> RunAsync(Func<Task> action)
    {
        try
        {
            await action();
            return Success;
        }
        catch (Exception e) when (e is TufClientException or IOException or UnauthorizedAccessException or ArgumentException or HttpRequestException)
        {
            await Console.Error.WriteLineAsync($"fleet-edge tuf: {e.Message}");
            return Failure;
        }
    }

    private static string Required(ParseResult result, Option<string> option) =>
        result.GetValue(option) ?? throw new ArgumentException($"this command needs {option.Name}");

    private static Uri RequiredUrl(ParseResult result, Option<string> option)
    {
        var text = Required(result, option);
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new ArgumentException($"{option.Name} must be an absolute http(s) URL, got '{text}'");
        return url;
    }

    private static async Task<byte[]> ReadTrustedRootAsync(string path, CancellationToken cancellation)
    {
        var length = new FileInfo(path).Length;
        if (length > UpdaterOptions.DefaultRootMaxBytes)
            throw new ArgumentException($"trusted root {path} is {length} bytes, over the root limit of {UpdaterOptions.DefaultRootMaxBytes}");
        return await File.ReadAllBytesAsync(path, cancellation);
    }
}
