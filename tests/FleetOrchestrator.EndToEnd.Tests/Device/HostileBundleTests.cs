using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using FleetOrchestrator.ComposeApps.Artifacts;
using FleetOrchestrator.ComposeApps.Bundles;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Edge.Tests.Fetch;
using FleetOrchestrator.Oci;
using FleetOrchestrator.Publishing;
using FleetOrchestrator.TestSupport;
using static FleetOrchestrator.EndToEnd.Tests.EdgeScenario;

namespace FleetOrchestrator.EndToEnd.Tests.Device;

/// <summary>
/// Hostile bundles through the whole agent: a signed target whose app bundle tries to write outside its folder or make
/// a device node is refused at extraction; the device reports the failure, installs nothing and writes nothing outside.
/// The bundles are pushed as real OCI artifacts (the publisher never writes such entries) with a valid manifest.
/// </summary>
[Collection(PublishedAppsCollection.Name)]
public sealed class HostileBundleTests(HostileBundleTests.SharedFactory shared) : IClassFixture<HostileBundleTests.SharedFactory>
{
    /// <summary>One factory for every case: each records a newer target, which the case's new device picks.</summary>
    public sealed class SharedFactory : IAsyncLifetime
    {
        public EdgeFactory Edge { get; private set; } = null!;
        public int Version;

        public async Task InitializeAsync() => Edge = await EdgeFactory.StartAsync();

        public async Task DisposeAsync() => await Edge.DisposeAsync();
    }

    private EdgeFactory Factory => shared.Edge;

    public static TheoryData<string, Func<TarEntry[]>, string> Hostile => new()
    {
        { "parent traversal", () => [File("docker-compose.yml", "services: {}"), File("../../pwned", "evil")], "\"..\" component" },
        { "absolute path", () => [File("docker-compose.yml", "services: {}"), File("/tmp/pwned", "evil")], "absolute" },
        { "symbolic link out of the app", () => [File("docker-compose.yml", "services: {}"), Link(TarEntryType.SymbolicLink, "up", "../..")], "above the app folder" },
        { "hard link out of the app", () => [File("docker-compose.yml", "services: {}"), Link(TarEntryType.HardLink, "passwd", "../../../etc/passwd")], "points outside" },
        { "device node", () => [File("docker-compose.yml", "services: {}"), new PaxTarEntry(TarEntryType.CharacterDevice, "null") { DeviceMajor = 1, DeviceMinor = 3 }], "CharacterDevice" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_hostile_bundle_is_refused_at_extraction_reported_and_leaves_nothing(string name, Func<TarEntry[]> entries, string reason)
    {
        var version = 100 + Interlocked.Increment(ref shared.Version);
        var target = await RecordHostileTargetAsync(version, Tgz(entries()));
        using var device = new TempDirectory();
        await Factory.RegisterDeviceAsync(device.Path, $"hostile-{version}", "\"evil\"", "confirmation-window = 1s");

        var update = await UpdateOnceAsync(device.Path);

        // The install failed and was rolled back (exit 110): nothing of the app is in place, no file escaped.
        Assert.True(update.ExitCode == 110, $"{name}: exit {update.ExitCode}: {update.StandardError}{update.StandardOutput}");
        Assert.False(Directory.Exists(Path.Combine(device.Path, "compose-apps", "evil")), $"{name}: the app folder exists");
        Assert.Empty(Directory.EnumerateFiles(device.Path, "pwned", SearchOption.AllDirectories));
        Assert.False(System.IO.File.Exists("/tmp/pwned"));
        // The failure is reported with the refusal, for the operator to see in `pbm devices updates`.
        var completed = ReportsInJournal(device.Path).Select(r => JsonNode.Parse(r)!)
            .Single(e => (string?)e["eventType"]!["id"] == "EcuInstallationCompleted")["event"]!;
        Assert.Equal((false, target), ((bool?)completed["success"], (string?)completed["targetName"]));
        Assert.Contains(reason, (string?)completed["details"]);
        Assert.Null((string?)(await StatusAsync(device.Path))["target"]);
    }

    /// <summary>Pushes app "evil" with <paramref name="bundle"/> as its bundle and records a target of tag main holding only it.</summary>
    private async Task<string> RecordHostileTargetAsync(long version, byte[] bundle)
    {
        var registry = Factory.Registry.Address;
        using var client = new OciRegistryClient(new RegistryClientOptions { PlainHttp = true, Credentials = _ => null });
        var index = BundleIndex.Create([KeyValuePair.Create("docker-compose.yml", Digest.Sha256("services: {}"u8.ToArray()).ToString())]).ToJsonBytes();
        var (bundleDigest, indexDigest) = (Digest.Sha256(bundle), Digest.Sha256(index));
        foreach (var (digest, content) in new[] { (indexDigest, index), (bundleDigest, bundle), (AppManifest.EmptyConfigDigest, OciMediaTypes.OciEmptyContent.ToArray()) })
            await client.PushBlobAsync(registry, "acme/evil", digest, content.Length, () => new MemoryStream(content, writable: false), CancellationToken.None);
        var manifest = await client.PutManifestAsync(registry, "acme/evil", AppManifest.VersionTag(version), OciMediaTypes.OciManifest,
            new AppManifest(bundleDigest, bundle.Length, indexDigest, index.Length).ToJsonBytes(), CancellationToken.None);
        var app = new PublishedApp("evil", $"{registry}/acme/evil@{manifest}", manifest.ToString(), bundleDigest.ToString(), bundle.Length);
        var target = PublishedTarget.Create("acme", version, ["generic"], ["main"], [app], new string('0', 40), DateTimeOffset.UtcNow);
        await (await Factory.Node.TargetRegistryAsync()).Ask<TargetRecorded>(RecordTarget.From(target), TimeSpan.FromSeconds(30));
        return target.Name;
    }

    private static PaxTarEntry File(string name, string content) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };

    private static PaxTarEntry Link(TarEntryType type, string name, string target) => new(type, name) { LinkName = target };

    private static byte[] Tgz(TarEntry[] entries)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
            foreach (var entry in entries) tar.WriteEntry(entry);
        return output.ToArray();
    }
}
