using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using FleetOrchestrator.ComposeApps.Bundles;
using FleetOrchestrator.ComposeApps.Ignore;

namespace FleetOrchestrator.ComposeApps.Tests.Bundles;

public class BundleWriterTests
{
    private static readonly byte[] PinnedCompose = "services:\n  web:\n    image: registry.local/f/web@sha256:0000\n"u8.ToArray();

    [Fact]
    public async Task Same_tree_written_seconds_apart_gives_the_same_bytes()
    {
        using var app = new TestFolder();
        BuildSampleTree(app, reverseCreationOrder: false);

        var first = await WriteAsync(app.Path);
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        foreach (var file in Directory.EnumerateFiles(app.Path, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow);
        }

        var second = await WriteAsync(app.Path);

        Assert.Equal(first.Bytes, second.Bytes);
        Assert.Equal(first.Result.Digest, second.Result.Digest);
    }

    [Fact]
    public async Task Creation_order_times_and_plain_permission_bits_do_not_change_the_digest()
    {
        using var forward = new TestFolder();
        using var backward = new TestFolder();
        BuildSampleTree(forward, reverseCreationOrder: false);
        BuildSampleTree(backward, reverseCreationOrder: true);
        foreach (var file in Directory.EnumerateFiles(backward.Path, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc));
            File.SetLastAccessTimeUtc(file, new DateTime(2011, 2, 3, 4, 5, 6, DateTimeKind.Utc));
        }

        // Group/other bits other than execute do not survive normalisation.
        File.SetUnixFileMode(backward.Combine("README.md"), UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var a = await WriteAsync(forward.Path);
        var b = await WriteAsync(backward.Path);

        Assert.Equal(a.Result.Digest, b.Result.Digest);
        Assert.Equal(a.Bytes, b.Bytes);
    }

    [Fact]
    public async Task Content_change_changes_the_digest()
    {
        using var app = new TestFolder();
        BuildSampleTree(app, reverseCreationOrder: false);
        var before = await WriteAsync(app.Path);

        app.Write("src/app.py", "print('hello, world')\n");
        var after = await WriteAsync(app.Path);

        Assert.NotEqual(before.Result.Digest, after.Result.Digest);
        Assert.NotEqual(before.Result.Index.Files["src/app.py"], after.Result.Index.Files["src/app.py"]);
        Assert.Equal(before.Result.Index.Files["README.md"], after.Result.Index.Files["README.md"]);
    }

    [Fact]
    public async Task Executable_bit_change_changes_the_digest()
    {
        using var app = new TestFolder();
        BuildSampleTree(app, reverseCreationOrder: false);
        var before = await WriteAsync(app.Path);

        File.SetUnixFileMode(app.Combine("README.md"), File.GetUnixFileMode(app.Combine("README.md")) | UnixFileMode.UserExecute);
        var after = await WriteAsync(app.Path);

        Assert.NotEqual(before.Result.Digest, after.Result.Digest);
    }

    [Fact]
    public async Task Entries_are_in_ordinal_order_per_directory_with_normalised_headers()
    {
        using var app = new TestFolder();
        BuildSampleTree(app, reverseCreationOrder: true);

        var bundle = await WriteAsync(app.Path);
        var entries = ReadEntries(bundle.Bytes);

        Assert.Equal(
            ["README.md", "a/", "a/b.txt", "a.txt", "bin/", "bin/run.sh", "docker-compose.yml", "empty/", "link-to-app", "src/", "src/Zed.py", "src/app.py"],
            entries.Select(e => e.Name));
        foreach (var entry in entries)
        {
            Assert.True(entry.Format is TarEntryFormat.Pax or TarEntryFormat.Ustar, $"{entry.Name} is {entry.Format}");
            Assert.Equal(0, entry.Uid);
            Assert.Equal(0, entry.Gid);
            Assert.Equal("", entry.UserName);
            Assert.Equal("", entry.GroupName);
            Assert.Equal(DateTimeOffset.UnixEpoch, entry.ModificationTime);
        }

        var byName = entries.ToDictionary(e => e.Name);
        Assert.Equal(TarEntryType.Directory, byName["a/"].EntryType);
        Assert.Equal(Mode(0b111_101_101), byName["a/"].Mode);
        Assert.Equal(Mode(0b110_100_100), byName["README.md"].Mode);
        Assert.Equal(Mode(0b111_101_101), byName["bin/run.sh"].Mode);
        Assert.Equal(TarEntryType.SymbolicLink, byName["link-to-app"].EntryType);
        Assert.Equal("src/app.py", byName["link-to-app"].LinkName);
        Assert.Equal(PinnedCompose, byName["docker-compose.yml"].Content);
    }

    [Fact]
    public async Task Digest_and_size_describe_the_written_bytes_and_the_index_every_regular_file()
    {
        using var app = new TestFolder();
        BuildSampleTree(app, reverseCreationOrder: false);

        var bundle = await WriteAsync(app.Path);

        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bundle.Bytes)), bundle.Result.Digest);
        Assert.Equal(bundle.Bytes.Length, bundle.Result.Size);
        var regularFiles = ReadEntries(bundle.Bytes).Where(e => e.EntryType == TarEntryType.RegularFile).ToList();
        Assert.Equal(regularFiles.Select(e => e.Name).Order(StringComparer.Ordinal), bundle.Result.Index.Files.Keys);
        foreach (var file in regularFiles)
        {
            Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(file.Content)), bundle.Result.Index.Files[file.Name]);
        }
    }

    [Fact]
    public async Task Gzip_header_has_no_name_and_mtime_zero()
    {
        using var app = new TestFolder();
        BuildSampleTree(app, reverseCreationOrder: false);

        var bytes = (await WriteAsync(app.Path)).Bytes;

        Assert.Equal([0x1f, 0x8b, 0x08], bytes[..3]);
        Assert.Equal(0, bytes[3]); // FLG: no FNAME, FCOMMENT, FEXTRA or FHCRC
        Assert.Equal([0, 0, 0, 0], bytes[4..8]); // MTIME
    }

    [Fact]
    public async Task Ignore_rules_drop_the_simple_app_sources_and_keep_the_rest()
    {
        using var app = new TestFolder();
        app.Write("Dockerfile", "FROM scratch\n");
        app.Write("app.py", "print('hi')\n");
        app.Write("docker-compose.yml", "services: {}\n");
        app.Write(".composeappignores", "Dockerfile\napp.py\n");
        app.Write("config/settings.ini", "a=1\n");

        var bundle = await WriteAsync(app.Path, IgnoreRules.Parse(File.ReadAllText(app.Combine(".composeappignores"))));

        Assert.Equal(["config/", "config/settings.ini", "docker-compose.yml"], ReadEntries(bundle.Bytes).Select(e => e.Name));
    }

    [Fact]
    public async Task Reincluded_file_in_an_excluded_directory_brings_its_directories_along()
    {
        using var app = new TestFolder();
        app.Write("docs/guide/keep.md", "keep\n");
        app.Write("docs/guide/drop.md", "drop\n");
        app.Write("docs/other/drop.md", "drop\n");
        app.CreateDirectory("docs/empty");

        var bundle = await WriteAsync(app.Path, IgnoreRules.Parse("docs\n!docs/guide/keep.md\n"));

        Assert.Equal(["docker-compose.yml", "docs/", "docs/guide/", "docs/guide/keep.md"], ReadEntries(bundle.Bytes).Select(e => e.Name));
    }

    [Fact]
    public async Task Compose_file_is_added_when_the_folder_has_none()
    {
        using var app = new TestFolder();
        app.Write("z.txt", "z");

        var bundle = await WriteAsync(app.Path);

        Assert.Equal(["docker-compose.yml", "z.txt"], ReadEntries(bundle.Bytes).Select(e => e.Name));
    }

    [Fact]
    public async Task Long_and_non_ascii_names_survive_through_pax_records()
    {
        using var app = new TestFolder();
        var longPath = string.Join('/', Enumerable.Repeat("directory-name-of-forty-characters-long", 4)) + "/file.txt";
        app.Write(longPath, "deep");
        app.Write("données/été.txt", "accent");
        app.Symlink("long-link", longPath);

        var entries = ReadEntries((await WriteAsync(app.Path)).Bytes).ToDictionary(e => e.Name);

        Assert.Equal("deep"u8.ToArray(), entries[longPath].Content);
        Assert.Equal("accent"u8.ToArray(), entries["données/été.txt"].Content);
        Assert.Equal(longPath, entries["long-link"].LinkName);
    }

    [Fact]
    public async Task System_tar_extracts_the_bundle_identically()
    {
        using var app = new TestFolder();
        BuildSampleTree(app, reverseCreationOrder: false);
        var longPath = string.Join('/', Enumerable.Repeat("directory-name-of-forty-characters-long", 4)) + "/été.txt";
        app.Write(longPath, "deep");
        using var output = new TestFolder();
        var bundlePath = output.Write("bundle.tgz", (await WriteAsync(app.Path)).Bytes);
        var extracted = output.CreateDirectory("x");

        var tar = Process.Start(new ProcessStartInfo("tar", ["-xzf", bundlePath, "-C", extracted]) { RedirectStandardError = true })!;
        var stderr = await tar.StandardError.ReadToEndAsync();
        await tar.WaitForExitAsync();

        Assert.True(tar.ExitCode == 0, stderr);
        Assert.Equal("", stderr);
        Assert.Equal(File.ReadAllBytes(app.Combine("src/app.py")), File.ReadAllBytes(Path.Combine(extracted, "src/app.py")));
        Assert.Equal(PinnedCompose, File.ReadAllBytes(Path.Combine(extracted, "docker-compose.yml")));
        Assert.Equal("src/app.py", new FileInfo(Path.Combine(extracted, "link-to-app")).LinkTarget);
        Assert.Equal("deep", File.ReadAllText(Path.Combine(extracted, longPath)));
        Assert.False(Directory.Exists(Path.Combine(extracted, "@PaxHeader")), "the pax extended header was extracted as a file");
    }

    [Theory]
    [InlineData("sub/inside", "../src/app.py")]
    [InlineData("dir-link", "src")]
    [InlineData("dangling", "not/there")]
    [InlineData("sub/via-dir-link", "../dir-link/app.py")]
    public async Task Symlink_resolving_inside_the_folder_is_stored_as_a_link(string link, string target)
    {
        using var app = new TestFolder();
        app.Write("src/app.py", "x");
        app.Symlink("dir-link", "src");
        if (link != "dir-link")
        {
            app.Symlink(link, target);
        }

        var entries = ReadEntries((await WriteAsync(app.Path)).Bytes).ToDictionary(e => e.Name);

        Assert.Equal(TarEntryType.SymbolicLink, entries[link].EntryType);
        Assert.Equal(target, entries[link].LinkName);
    }

    [Theory]
    [InlineData("up", "..", "above the app folder")]
    [InlineData("sub/up", "../../etc/passwd", "above the app folder")]
    [InlineData("etc", "/etc", "absolute")]
    // root-link alone stays inside (a/b/../.. is the root), but going one level up through it leaves.
    [InlineData("a/b/through-link", "root-link/../x", "above the app folder")]
    // abs-link is itself excluded, yet a kept link resolving through it is still caught.
    [InlineData("via-absolute", "abs-link/x", "absolute path")]
    public async Task Symlink_escaping_the_folder_is_refused_naming_it(string link, string target, string reason)
    {
        using var app = new TestFolder();
        app.Write("docker-compose.yml", "x");
        app.Symlink("a/b/root-link", "../..");
        app.Symlink("abs-link", "/tmp");
        app.Symlink(link, target);

        var error = await Assert.ThrowsAsync<BundleException>(() => WriteAsync(app.Path, IgnoreRules.Parse("abs-link")));

        Assert.Contains($"\"{link}\"", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public async Task Fifo_is_refused_naming_it()
    {
        using var app = new TestFolder();
        app.CreateDirectory("run");
        var mkfifo = Process.Start("mkfifo", [app.Combine("run/pipe")]);
        await mkfifo.WaitForExitAsync();
        Assert.Equal(0, mkfifo.ExitCode);

        var error = await Assert.ThrowsAsync<BundleException>(() => WriteAsync(app.Path));

        Assert.Contains("\"run/pipe\"", error.Message);
        Assert.Contains("fifo", error.Message);
    }

    [Fact]
    public async Task Socket_is_refused_naming_it()
    {
        using var app = new TestFolder();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(app.Combine("control.sock")));

        var error = await Assert.ThrowsAsync<BundleException>(() => WriteAsync(app.Path));

        Assert.Contains("\"control.sock\"", error.Message);
        Assert.Contains("socket", error.Message);
    }

    [Fact]
    public async Task Excluded_special_files_are_not_an_error()
    {
        using var app = new TestFolder();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(app.Combine("control.sock")));

        var bundle = await WriteAsync(app.Path, IgnoreRules.Parse("*.sock"));

        Assert.Equal(["docker-compose.yml"], ReadEntries(bundle.Bytes).Select(e => e.Name));
    }

    [Fact]
    public async Task Limits_are_enforced_with_the_sizes_named()
    {
        using var app = new TestFolder();
        app.Write("big.bin", RandomNumberGenerator.GetBytes(5000));
        app.Write("small.txt", "small");

        var compose = await Assert.ThrowsAsync<BundleException>(() => WriteAsync(app.Path, limits: new BundleLimits { MaxComposeFileBytes = 10 }));
        Assert.Contains($"{PinnedCompose.Length} bytes", compose.Message);

        var file = await Assert.ThrowsAsync<BundleException>(() => WriteAsync(app.Path, limits: new BundleLimits { MaxFileBytes = 4999 }));
        Assert.Contains("\"big.bin\" is 5000 bytes", file.Message);
        Assert.Contains("4999", file.Message);

        var total = await Assert.ThrowsAsync<BundleException>(() => WriteAsync(app.Path, limits: new BundleLimits { MaxExtractedBytes = 5000 }));
        Assert.Contains("5000", total.Message);

        var bundle = await Assert.ThrowsAsync<BundleException>(() => WriteAsync(app.Path, limits: new BundleLimits { MaxBundleBytes = 4096 }));
        Assert.Contains("4096", bundle.Message);

        var entries = await Assert.ThrowsAsync<BundleException>(() => WriteAsync(app.Path, limits: new BundleLimits { MaxEntries = 2 }));
        Assert.Contains("more than 2 entries", entries.Message);

        await WriteAsync(app.Path, limits: new BundleLimits { MaxFileBytes = 5000, MaxEntries = 3 });
    }

    [Fact]
    public async Task Failure_after_many_compressed_chunks_surfaces_without_hanging()
    {
        using var app = new TestFolder();
        app.Write("a-big.bin", RandomNumberGenerator.GetBytes(4 << 20));
        var mkfifo = Process.Start("mkfifo", [app.Combine("z-pipe")]);
        await mkfifo.WaitForExitAsync();

        var error = await Assert.ThrowsAsync<BundleException>(() => WriteAsync(app.Path).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("\"z-pipe\"", error.Message);
    }

    [Fact]
    public async Task Bundle_limit_reached_while_compressing_surfaces_without_hanging()
    {
        using var app = new TestFolder();
        app.Write("a-big.bin", RandomNumberGenerator.GetBytes(4 << 20));

        var error = await Assert.ThrowsAsync<BundleException>(
            () => WriteAsync(app.Path, limits: new BundleLimits { MaxBundleBytes = 100_000 }).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("grows past 100000 bytes", error.Message);
    }

    /// <summary>
    /// A small app with files, nested and empty directories, an executable and a link, created in
    /// one order or its reverse so the file system lists them differently.
    /// </summary>
    private static void BuildSampleTree(TestFolder app, bool reverseCreationOrder)
    {
        var steps = new List<Action>
        {
            () => app.Write("README.md", "# sample\n"),
            () => app.Write("a.txt", "a\n"),
            () => app.Write("a/b.txt", "b\n"),
            () => app.Write("src/app.py", "print('hello')\n"),
            () => app.Write("src/Zed.py", "zed = 1\n"),
            () => app.CreateDirectory("empty"),
            () => app.Write("docker-compose.yml", "services: {build: .}\n"),
            () =>
            {
                var script = app.Write("bin/run.sh", "#!/bin/sh\nexec python3 src/app.py\n");
                File.SetUnixFileMode(script, File.GetUnixFileMode(script) | UnixFileMode.UserExecute);
            },
            () => app.Symlink("link-to-app", "src/app.py"),
        };
        if (reverseCreationOrder)
        {
            steps.Reverse();
        }

        steps.ForEach(step => step());
    }

    private static async Task<(byte[] Bytes, BundleResult Result)> WriteAsync(string appDirectory, IgnoreRules? rules = null, BundleLimits? limits = null)
    {
        using var output = new MemoryStream();
        var result = await BundleWriter.WriteAsync(appDirectory, rules ?? IgnoreRules.None, PinnedCompose, output, limits);
        return (output.ToArray(), result);
    }

    private static UnixFileMode Mode(int bits) => (UnixFileMode)bits;

    private sealed record Entry(string Name, TarEntryType EntryType, TarEntryFormat Format, UnixFileMode Mode, int Uid, int Gid, string UserName, string GroupName, DateTimeOffset ModificationTime, string LinkName, byte[] Content);

    /// <summary>Reads a bundle back with System.Formats.Tar, an independent reader.</summary>
    private static List<Entry> ReadEntries(byte[] bundle)
    {
        var entries = new List<Entry>();
        using var reader = new TarReader(new GZipStream(new MemoryStream(bundle), CompressionMode.Decompress));
        while (reader.GetNextEntry() is { } entry)
        {
            using var content = new MemoryStream();
            entry.DataStream?.CopyTo(content);
            var (userName, groupName) = entry is PosixTarEntry posix ? (posix.UserName, posix.GroupName) : ("?", "?");
            Assert.False(entry is PaxTarEntry pax && (pax.ExtendedAttributes.ContainsKey("atime") || pax.ExtendedAttributes.ContainsKey("ctime")), $"{entry.Name} carries atime/ctime");
            entries.Add(new Entry(entry.Name, entry.EntryType, entry.Format, entry.Mode, entry.Uid, entry.Gid, userName, groupName, entry.ModificationTime, entry.LinkName, content.ToArray()));
        }

        return entries;
    }
}
