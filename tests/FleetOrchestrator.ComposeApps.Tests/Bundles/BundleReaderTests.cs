using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using FleetOrchestrator.ComposeApps.Bundles;
using FleetOrchestrator.ComposeApps.Ignore;

namespace FleetOrchestrator.ComposeApps.Tests.Bundles;

public class BundleReaderTests
{
    private static readonly byte[] PinnedCompose = "services:\n  web:\n    image: registry.local/f/web@sha256:1111\n"u8.ToArray();

    [Fact]
    public async Task Written_bundle_extracts_to_the_same_tree_and_verifies()
    {
        using var app = new TestFolder();
        app.Write("docker-compose.yml", "services: {build: .}\n");
        app.Write("src/app.py", "print('hello')\n");
        app.Write("src/lib/util.py", "x = 1\n");
        var script = app.Write("bin/run.sh", "#!/bin/sh\n");
        File.SetUnixFileMode(script, (UnixFileMode)0b111_000_000);
        app.CreateDirectory("data/empty");
        app.Symlink("current", "src");
        app.Write("Dockerfile", "FROM scratch\n");
        using var device = new TestFolder();
        var target = device.Combine("apps/web");

        var (bytes, result) = await WriteAsync(app.Path, IgnoreRules.Parse("Dockerfile"));
        await BundleReader.ExtractAsync(new MemoryStream(bytes), BundleIndex.Parse(result.Index.ToJsonBytes()), target);

        Assert.Equal(
            ["bin/", "bin/run.sh", "current", "data/", "data/empty/", "docker-compose.yml", "src/", "src/app.py", "src/lib/", "src/lib/util.py"],
            TestFolder.ListEntries(target));
        Assert.Equal(PinnedCompose, File.ReadAllBytes(Path.Combine(target, "docker-compose.yml")));
        Assert.Equal(File.ReadAllBytes(app.Combine("src/lib/util.py")), File.ReadAllBytes(Path.Combine(target, "src/lib/util.py")));
        Assert.Equal("src", new FileInfo(Path.Combine(target, "current")).LinkTarget);
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(target, "bin/run.sh")));
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(Path.Combine(target, "src/app.py")));
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(target, "data/empty")));
        Assert.Equal(["apps/", "apps/web/"], device.ListEntries().Where(e => !e.StartsWith("apps/web/", StringComparison.Ordinal) || e == "apps/web/"));
    }

    [Fact]
    public async Task Extraction_replaces_the_previous_version()
    {
        using var device = new TestFolder();
        device.Write("web/old-only.txt", "old");
        var bundle = Tgz(RegularFile("docker-compose.yml", "v2"));

        await BundleReader.ExtractAsync(new MemoryStream(bundle), IndexOf(("docker-compose.yml", "v2")), device.Combine("web"));

        Assert.Equal(["web/", "web/docker-compose.yml"], device.ListEntries());
    }

    [Fact]
    public async Task Hard_link_to_an_earlier_file_becomes_a_copy()
    {
        using var device = new TestFolder();
        var bundle = Tgz(RegularFile("a.txt", "same"), HardLink("b.txt", "a.txt"));

        await BundleReader.ExtractAsync(new MemoryStream(bundle), IndexOf(("a.txt", "same"), ("b.txt", "same")), device.Combine("app"));

        Assert.Equal("same", File.ReadAllText(device.Combine("app/b.txt")));
    }

    public static TheoryData<string, Func<TarEntry[]>, string> HostileArchives => new()
    {
        { "parent traversal", () => [RegularFile("../x", "evil")], "\"..\" component" },
        { "nested traversal", () => [RegularFile("a/../../x", "evil")], "\"..\" component" },
        { "absolute path", () => [RegularFile("/abs", "evil")], "absolute" },
        { "dot component", () => [RegularFile("./a", "x")], "\".\" component" },
        { "symlink to /etc", () => [Symlink("etc", "/etc")], "absolute" },
        { "symlink above the root", () => [Symlink("sub/up", "../..")], "above the app folder" },
        { "symlink chain", () => [Symlink("a/b/root", "../.."), Symlink("a/b/l", "root/../x")], "above the app folder" },
        { "write through a link", () => [Symlink("l", "sub"), RegularFile("l/x", "x")], "through the symbolic link \"l\"" },
        { "hard link escape", () => [HardLink("h", "../../etc/passwd")], "points outside" },
        { "absolute hard link", () => [HardLink("h", "/etc/passwd")], "points outside" },
        { "hard link to nothing", () => [HardLink("h", "missing")], "not a regular file earlier" },
        { "character device", () => [Device(TarEntryType.CharacterDevice, "null")], "CharacterDevice" },
        { "block device", () => [Device(TarEntryType.BlockDevice, "sda")], "BlockDevice" },
        { "fifo", () => [new PaxTarEntry(TarEntryType.Fifo, "pipe")], "Fifo" },
        { "duplicate file", () => [RegularFile("a", "1"), RegularFile("a", "2")], "more than once" },
        { "file then directory", () => [RegularFile("a", "1"), new PaxTarEntry(TarEntryType.Directory, "a/")], "more than once" },
        { "file as a parent", () => [RegularFile("a", "1"), RegularFile("a/b", "2")], "parent \"a\" is a file" },
        { "oversized entry", () => [RegularFile("big", new string('x', 2000))], "\"big\" is 2000 bytes" },
        { "total size", () => [RegularFile("a", new string('x', 900)), RegularFile("b", new string('x', 900)), RegularFile("c", new string('x', 900))], "add up to 2700 bytes" },
        { "too many entries", () => Enumerable.Range(0, 11).Select(i => RegularFile($"f{i}", "x")).ToArray(), "more than 10 entries" },
    };

    [Theory]
    [MemberData(nameof(HostileArchives))]
    public async Task Hostile_archive_is_refused_leaving_nothing_behind(string name, Func<TarEntry[]> entries, string reason)
    {
        using var device = new TestFolder();
        using var outside = new TestFolder();
        var limits = new BundleLimits { MaxFileBytes = 1000, MaxExtractedBytes = 2000, MaxEntries = 10 };

        var error = await Assert.ThrowsAsync<BundleException>(
            () => BundleReader.ExtractAsync(new MemoryStream(Tgz(entries())), BundleIndex.Create([]), device.Combine("app"), limits));

        Assert.Contains(reason, error.Message);
        Assert.True(device.ListEntries().Count == 0, $"{name}: left {string.Join(", ", device.ListEntries())}");
        Assert.Empty(outside.ListEntries());
    }

    [Fact]
    public async Task Write_through_an_escaping_link_never_reaches_outside()
    {
        using var device = new TestFolder();
        using var outside = new TestFolder();
        var bundle = Tgz(Symlink("evil", outside.Path), RegularFile("evil/pwned", "gotcha"));

        await Assert.ThrowsAsync<BundleException>(() => BundleReader.ExtractAsync(new MemoryStream(bundle), BundleIndex.Create([]), device.Combine("app")));

        Assert.Empty(outside.ListEntries());
        Assert.Empty(device.ListEntries());
    }

    [Fact]
    public async Task Failed_extraction_leaves_the_previous_version_in_place()
    {
        using var device = new TestFolder();
        device.Write("app/docker-compose.yml", "previous");
        var bundle = Tgz(RegularFile("docker-compose.yml", "next"), RegularFile("../escape", "x"));

        await Assert.ThrowsAsync<BundleException>(() => BundleReader.ExtractAsync(new MemoryStream(bundle), BundleIndex.Create([]), device.Combine("app")));

        Assert.Equal(["app/", "app/docker-compose.yml"], device.ListEntries());
        Assert.Equal("previous", File.ReadAllText(device.Combine("app/docker-compose.yml")));
    }

    [Fact]
    public async Task Changed_file_fails_verification_naming_expected_and_actual()
    {
        using var device = new TestFolder();
        var bundle = Tgz(RegularFile("docker-compose.yml", "tampered"), RegularFile("z", "z"));

        var error = await Assert.ThrowsAsync<BundleIntegrityException>(
            () => BundleReader.ExtractAsync(new MemoryStream(bundle), IndexOf(("docker-compose.yml", "original"), ("z", "z")), device.Combine("app")));

        Assert.Equal("docker-compose.yml", error.Path);
        Assert.Contains($"expected {DigestOf("original")}", error.Message);
        Assert.Contains($"actual {DigestOf("tampered")}", error.Message);
        Assert.Empty(device.ListEntries());
    }

    [Fact]
    public async Task Extra_file_fails_verification()
    {
        using var device = new TestFolder();
        var bundle = Tgz(RegularFile("docker-compose.yml", "c"), RegularFile("smuggled.sh", "rm -rf /"));

        var error = await Assert.ThrowsAsync<BundleIntegrityException>(
            () => BundleReader.ExtractAsync(new MemoryStream(bundle), IndexOf(("docker-compose.yml", "c")), device.Combine("app")));

        Assert.Equal("smuggled.sh", error.Path);
        Assert.Contains("does not list", error.Message);
        Assert.Empty(device.ListEntries());
    }

    [Fact]
    public async Task Missing_file_fails_verification()
    {
        using var device = new TestFolder();
        var bundle = Tgz(RegularFile("docker-compose.yml", "c"));

        var error = await Assert.ThrowsAsync<BundleIntegrityException>(
            () => BundleReader.ExtractAsync(new MemoryStream(bundle), IndexOf(("docker-compose.yml", "c"), ("config.ini", "a=1")), device.Combine("app")));

        Assert.Equal("config.ini", error.Path);
        Assert.Contains("no such file", error.Message);
        Assert.Empty(device.ListEntries());
    }

    [Fact]
    public async Task Bundle_over_the_size_limit_is_refused()
    {
        using var device = new TestFolder();
        var bundle = Tgz(RegularFile("noise", Convert.ToBase64String(RandomNumberGenerator.GetBytes(30_000))));

        var error = await Assert.ThrowsAsync<BundleException>(
            () => BundleReader.ExtractAsync(new MemoryStream(bundle), BundleIndex.Create([]), device.Combine("app"), new BundleLimits { MaxBundleBytes = 10_000 }));

        Assert.Contains("larger than 10000 bytes", error.Message);
        Assert.Empty(device.ListEntries());
    }

    [Fact]
    public async Task Garbage_is_refused_as_an_invalid_archive()
    {
        using var device = new TestFolder();
        using var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(RandomNumberGenerator.GetBytes(2048));
        }

        var error = await Assert.ThrowsAsync<BundleException>(
            () => BundleReader.ExtractAsync(new MemoryStream(gzipped.ToArray()), BundleIndex.Create([]), device.Combine("app")));

        Assert.Contains("not a valid tar.gz", error.Message);
        Assert.Empty(device.ListEntries());
    }

    [Fact]
    public async Task ReadFile_returns_one_entry_within_its_bound()
    {
        var bundle = Tgz(new PaxTarEntry(TarEntryType.Directory, "src/"), RegularFile("src/a", "a"), RegularFile("docker-compose.yml", "services: {}\n"));

        Assert.Equal("services: {}\n"u8.ToArray(), await BundleReader.ReadFileAsync(new MemoryStream(bundle), "docker-compose.yml", 100));

        var tooLarge = await Assert.ThrowsAsync<BundleException>(() => BundleReader.ReadFileAsync(new MemoryStream(bundle), "docker-compose.yml", 5));
        Assert.Contains("13 bytes; the limit is 5 bytes", tooLarge.Message);

        var missing = await Assert.ThrowsAsync<BundleException>(() => BundleReader.ReadFileAsync(new MemoryStream(bundle), "absent.yml", 100));
        Assert.Contains("no entry \"absent.yml\"", missing.Message);

        var directory = await Assert.ThrowsAsync<BundleException>(() => BundleReader.ReadFileAsync(new MemoryStream(bundle), "src/", 100));
        Assert.Contains("not a regular file", directory.Message);
    }

    private static async Task<(byte[] Bytes, BundleResult Result)> WriteAsync(string appDirectory, IgnoreRules rules)
    {
        using var output = new MemoryStream();
        var result = await BundleWriter.WriteAsync(appDirectory, rules, PinnedCompose, output);
        return (output.ToArray(), result);
    }

    private static PaxTarEntry RegularFile(string name, string content) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };

    private static PaxTarEntry Symlink(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };

    private static PaxTarEntry HardLink(string name, string target) => new(TarEntryType.HardLink, name) { LinkName = target };

    private static PaxTarEntry Device(TarEntryType type, string name) => new(type, name) { DeviceMajor = 1, DeviceMinor = 3 };

    /// <summary>A .tar.gz built directly with System.Formats.Tar, so it can hold what BundleWriter never writes.</summary>
    private static byte[] Tgz(params TarEntry[] entries)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var entry in entries)
            {
                tar.WriteEntry(entry);
            }
        }

        return output.ToArray();
    }

    private static BundleIndex IndexOf(params (string Path, string Content)[] files) =>
        BundleIndex.Create(files.Select(f => new KeyValuePair<string, string>(f.Path, DigestOf(f.Content))));

    private static string DigestOf(string content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
}
