using System.Security.Cryptography;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Tests.Simulator;

namespace FleetOrchestrator.Edge.Tests;

/// <summary>`fleet-edge tuf` end to end: the executable against a simulated repository over loopback HTTP.</summary>
public sealed class TufCommandTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private readonly RepositorySimulator _sim = new();

    private string MetadataDir => _temp.Combine("metadata");
    private string TargetDir => _temp.Combine("targets");

    public async Task InitializeAsync()
    {
        var root = _temp.Combine("trusted-root.json");
        await File.WriteAllBytesAsync(root, _sim.PublishedRoots[0]);
        var init = await FleetEdgeProcess.RunAsync("tuf", "--metadata-dir", MetadataDir, "init", root);
        Assert.True(init.ExitCode == 0, init.StandardError);
    }

    private Task<CliWrap.Buffered.BufferedCommandResult> DownloadAsync(params string[] targets) =>
        FleetEdgeProcess.RunAsync([
            "tuf", "--metadata-dir", MetadataDir, "--metadata-url", _sim.MetadataUrl.ToString(),
            .. targets.SelectMany(t => new[] { "--target-name", t }),
            "--target-base-url", _sim.TargetsUrl.ToString(), "--target-dir", TargetDir, "download"]);

    private static string TargetPath(string name, byte[] content) =>
        $"{RepositorySimulator.TargetsPrefix}{Convert.ToHexStringLower(SHA256.HashData(content))}.{name}";

    [Fact]
    public async Task Init_installs_exactly_the_trusted_root()
    {
        Assert.Equal(_sim.PublishedRoots[0], await File.ReadAllBytesAsync(Path.Combine(MetadataDir, "root.json")));
        Assert.Empty(_sim.Requests);
    }

    [Fact]
    public async Task Refresh_stores_the_metadata_under_unversioned_names()
    {
        var result = await FleetEdgeProcess.RunAsync("tuf", "--metadata-dir", MetadataDir, "--metadata-url", _sim.MetadataUrl.ToString(), "refresh");

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal(["2.root.json", "timestamp.json", "1.snapshot.json", "1.targets.json"], _sim.MetadataRequests);
        Assert.Equal(["root.json", "snapshot.json", "targets.json", "timestamp.json"],
            Directory.GetFiles(MetadataDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Download_fetches_each_target_in_order_into_url_encoded_files()
    {
        byte[] one = "one"u8.ToArray(), two = "two!"u8.ToArray();
        _sim.AddTarget("apps/one", one);
        _sim.AddTarget("two", two);
        _sim.Release();

        var result = await DownloadAsync("two", "apps/one");

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal(two, await File.ReadAllBytesAsync(Path.Combine(TargetDir, "two")));
        Assert.Equal(one, await File.ReadAllBytesAsync(Path.Combine(TargetDir, "apps%2Fone")));
        var hashOne = Convert.ToHexStringLower(SHA256.HashData(one));
        Assert.Equal([
            "/metadata/2.root.json", "/metadata/timestamp.json", "/metadata/2.snapshot.json", "/metadata/2.targets.json",
            TargetPath("two", two), $"/targets/apps/{hashOne}.one"], _sim.Requests);

        // Already present and verified: a second download fetches no target again.
        _sim.ClearRequests();
        var again = await DownloadAsync("two", "apps/one");
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(["/metadata/2.root.json", "/metadata/timestamp.json"], _sim.Requests);
    }

    [Fact]
    public async Task Failing_download_exits_1_stops_and_leaves_nothing_in_the_target_dir()
    {
        byte[] bad = "bad!"u8.ToArray(), good = "good"u8.ToArray();
        _sim.AddTarget("bad", bad);
        _sim.AddTarget("good", good);
        _sim.Release();
        _sim.Serve(TargetPath("bad", bad), "evil"u8.ToArray());

        var result = await DownloadAsync("bad", "good");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("target bad", result.StandardError);
        Assert.DoesNotContain(TargetPath("good", good), _sim.Requests);
        Assert.False(Directory.Exists(TargetDir) && Directory.EnumerateFileSystemEntries(TargetDir).Any());
    }

    [Fact]
    public async Task Unknown_target_exits_1()
    {
        var result = await DownloadAsync("missing");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("target missing is not listed", result.StandardError);
    }

    [Fact]
    public async Task Refresh_rejecting_metadata_exits_1_and_keeps_the_trusted_files()
    {
        _sim.Signers[FleetOrchestrator.Tuf.Metadata.Role.Timestamp] = [FleetOrchestrator.Tuf.Crypto.KeyPair.Generate()];
        _sim.Release();

        var result = await FleetEdgeProcess.RunAsync("tuf", "--metadata-dir", MetadataDir, "--metadata-url", _sim.MetadataUrl.ToString(), "refresh");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("timestamp", result.StandardError);
        Assert.Equal(["root.json"], Directory.GetFiles(MetadataDir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Init_rejects_a_file_that_is_not_a_root()
    {
        using var other = new TempDirectory();
        var notRoot = other.Combine("timestamp.json");
        await File.WriteAllBytesAsync(notRoot, _sim.Served("/metadata/timestamp.json"));

        var result = await FleetEdgeProcess.RunAsync("tuf", "--metadata-dir", other.Combine("metadata"), "init", notRoot);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("root", result.StandardError);
        Assert.False(Directory.Exists(other.Combine("metadata")));
    }

    [Fact]
    public async Task Missing_metadata_url_exits_1()
    {
        var result = await FleetEdgeProcess.RunAsync("tuf", "--metadata-dir", MetadataDir, "refresh");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--metadata-url", result.StandardError);
    }

    public async Task DisposeAsync()
    {
        await _sim.DisposeAsync();
        _temp.Dispose();
    }
}
