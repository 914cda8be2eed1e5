using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.Pbm;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>Each palette command against a running embedded node, over the command host's TCP endpoint.</summary>
public sealed class CommandHostTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private RunningNode _node = null!;
    private IPEndPoint _host = null!;

    public async Task InitializeAsync()
    {
        _node = await RunningNode.StartAsync();
        _host = await _node.CommandHostAsync();
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private Task<PbmResult> RunAsync(string palette, string command, params string[] arguments) => PbmClient.RunAsync(_host, palette, command, arguments);

    private static void AssertOk(PbmResult result) => Assert.True(result.End.ExitCode == 0, $"{result.End.Error}: {result.End.Message}");

    [Fact]
    public async Task The_cluster_palette_shows_this_node_up_as_leader()
    {
        var show = await RunAsync("cluster", "show");
        var status = await RunAsync("cluster", "status");
        var leader = await RunAsync("cluster", "leader");

        AssertOk(show);
        var self = Assert.Single(show.Rows);
        Assert.Equal(("Up", "fleet,gateway,publisher,registry", "yes", "*"), (self["status"], self["roles"], self["reachable"], self["leader"]));
        Assert.Equal([self["address"]!], leader.Lines);
        Assert.Equal([$"self: {self["address"]} Up (roles fleet,gateway,publisher,registry)", "members: 1 (1 Up)", "unreachable: 0", $"leader: {self["address"]}"], status.Lines);
    }

    [Fact]
    public async Task Join_leave_and_down_refuse_bad_addresses_and_non_members()
    {
        var join = await RunAsync("cluster", "join", "not-an-address");
        var leave = await RunAsync("cluster", "leave", "akka.tcp://fleet@127.0.0.1:1");
        var down = await RunAsync("cluster", "down", "akka.tcp://fleet@127.0.0.1:2");
        var stillUp = await RunAsync("cluster", "show");

        Assert.Equal((ExitCodes.Usage, "usage"), (join.End.ExitCode, join.End.Error));
        Assert.StartsWith("\"not-an-address\" is not a member address", join.End.Message);
        Assert.Equal((ExitCodes.Failed, ErrorCodes.NotFound), (leave.End.ExitCode, leave.End.Error));
        Assert.StartsWith("akka.tcp://fleet@127.0.0.1:1 is not a member; members: akka.ssl.tcp://fleet@127.0.0.1:", leave.End.Message);
        Assert.Equal((ExitCodes.Failed, ErrorCodes.NotFound), (down.End.ExitCode, down.End.Error));
        Assert.Equal("Up", Assert.Single(stillUp.Rows)["status"]);
    }

    [Fact]
    public async Task The_sharding_palette_counts_the_device_twins()
    {
        (await _node.RegisterAsync("shard-1")).Certificate.Dispose();
        (await _node.RegisterAsync("shard-2")).Certificate.Dispose();

        var regions = await RunAsync("cluster-sharding", "regions");
        var stats = await RunAsync("cluster-sharding", "region-stats", "--type", "device-twin");
        var unknown = await RunAsync("cluster-sharding", "region-stats", "--type", "nope");

        AssertOk(regions);
        var twins = Assert.Single(regions.Rows, r => r["type"] == "device-twin");
        Assert.True(int.Parse(twins["entities"]!) >= 2, $"entities {twins["entities"]}");
        AssertOk(stats);
        Assert.True(stats.Rows.Sum(r => int.Parse(r["entities"]!)) >= 2);
        Assert.All(stats.Rows, r => Assert.Equal("device-twin", r["type"]));
        Assert.Equal((ExitCodes.Failed, "no shard region type \"nope\"; types: device-twin"), (unknown.End.ExitCode, unknown.End.Message));
    }

    [Fact]
    public async Task The_actor_palette_shows_the_tree_to_the_asked_depth()
    {
        var shallow = await RunAsync("actor", "hierarchy", "--depth", "1");
        var deeper = await RunAsync("actor", "hierarchy", "--depth", "2", "--system");
        var tooDeep = await RunAsync("actor", "hierarchy", "--depth", "11");

        AssertOk(shallow);
        Assert.Equal("/user", shallow.Lines[0]);
        Assert.Contains("  command-host", shallow.Lines);
        Assert.Contains("  target-registry", shallow.Lines);
        Assert.DoesNotContain("    devices", shallow.Lines);
        Assert.Contains("    devices", deeper.Lines);
        Assert.Contains("/system", deeper.Lines);
        Assert.Equal((ExitCodes.Usage, "--depth must be 1..10, not 11"), (tooDeep.End.ExitCode, tooDeep.End.Message));
    }

    private async Task RecordTargetAsync(long version, params (string App, string Uri)[] apps)
    {
        var appSet = new JsonObject(apps.Select(a => KeyValuePair.Create(a.App, (JsonNode?)new JsonObject { ["uri"] = a.Uri })));
        var custom = new JsonObject
        {
            ["version"] = version.ToString(), ["hardwareIds"] = new JsonArray("generic"), ["tags"] = new JsonArray("main"),
            ["docker_compose_apps"] = appSet.DeepClone(), ["createdAt"] = "2026-11-01T12:00:00Z",
        };
        var registry = await _node.TargetRegistryAsync();
        await registry.Ask<TargetRecorded>(new RecordTarget($"acme-{version}", Encoding.UTF8.GetBytes(appSet.ToJsonString()), custom), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task The_targets_and_apps_palettes_read_the_registrys_targets()
    {
        var empty = await RunAsync("targets", "list");
        await RecordTargetAsync(1, ("httpd", "r/acme/httpd@sha256:01"));
        await RecordTargetAsync(2, ("httpd", "r/acme/httpd@sha256:02"), ("shellhttpd", "r/acme/shellhttpd@sha256:03"));

        var list = await RunAsync("targets", "list");
        var otherTag = await RunAsync("targets", "list", "--tag", "other");
        var show = await RunAsync("targets", "show", "2");
        var missing = await RunAsync("targets", "show", "9");
        var apps = await RunAsync("apps", "list");
        var httpd = await RunAsync("apps", "show", "httpd");
        var noApp = await RunAsync("apps", "show", "nginx");

        Assert.Empty(empty.Rows);
        AssertOk(list);
        Assert.Equal(["acme-1 1 main generic httpd", "acme-2 2 main generic httpd,shellhttpd"],
            list.Rows.Select(r => $"{r["name"]} {r["version"]} {r["tags"]} {r["hardware ids"]} {r["apps"]}"));
        Assert.Empty(otherTag.Rows);
        Assert.Equal("acme-2", show.Value.GetProperty("name").GetString());
        Assert.Equal("r/acme/shellhttpd@sha256:03", show.Value.GetProperty("apps").GetProperty("shellhttpd").GetString());
        Assert.Equal(64, show.Value.GetProperty("hashes").GetProperty("sha256").GetString()!.Length);
        Assert.Equal((ExitCodes.Failed, "no target with version or name \"9\"; versions: 1, 2"), (missing.End.ExitCode, missing.End.Message));
        Assert.Equal(["httpd main 2 r/acme/httpd@sha256:02", "shellhttpd main 2 r/acme/shellhttpd@sha256:03"],
            apps.Rows.Select(r => $"{r["app"]} {r["tag"]} {r["version"]} {r["uri"]}"));
        Assert.Equal(["1 r/acme/httpd@sha256:01", "2 r/acme/httpd@sha256:02"], httpd.Rows.Select(r => $"{r["version"]} {r["uri"]}"));
        Assert.Equal((ExitCodes.Failed, "no published app \"nginx\"; apps: httpd, shellhttpd"), (noApp.End.ExitCode, noApp.End.Message));
    }

    [Fact]
    public async Task A_device_of_a_tag_sees_a_tagged_target_and_no_longer_after_it_is_pruned()
    {
        var custom = new JsonObject
        {
            ["version"] = "1", ["hardwareIds"] = new JsonArray("generic"), ["tags"] = new JsonArray("main"),
            ["docker_compose_apps"] = new JsonObject { ["httpd"] = new JsonObject { ["uri"] = "r/acme/httpd@sha256:01" } },
        };
        await (await _node.TargetRegistryAsync()).Ask<TargetRecorded>(
            new RecordTarget("acme-1", Encoding.UTF8.GetBytes("{\"httpd\":{\"uri\":\"r/acme/httpd@sha256:01\"}}"), custom), TimeSpan.FromSeconds(30));
        var (registration, certificate) = await _node.RegisterAsync("beta-1", tag: "beta");
        using var _ = certificate;
        using var metadataDir = new TempDirectory();
        using var http = _node.Client(certificate);
        var device = await _node.DeviceUpdaterAsync(registration, http, metadataDir.Path);

        var tag = await RunAsync("targets", "tag", "1", "--tag", "beta");
        await _node.WaitForTargetsVersionAsync(certificate, 1);
        await device.RefreshAsync();
        var tagged = await device.GetTargetInfoAsync("acme-1");
        var again = await RunAsync("targets", "tag", "1", "--tag", "beta");
        var list = await RunAsync("targets", "list", "--tag", "beta");
        var unknown = await RunAsync("targets", "tag", "9", "--tag", "beta");
        AssertOk(await RunAsync("waves", "init", "w1", "1", "prod"));
        var inWave = await RunAsync("targets", "prune", "1", "--tag", "prod");
        var prune = await RunAsync("targets", "prune", "1", "--tag", "beta");
        await _node.WaitForTargetsVersionAsync(certificate, 2);
        await device.RefreshAsync();
        var pruned = await device.GetTargetInfoAsync("acme-1");
        var pruneAgain = await PbmClient.ProcessAsync("--json", $"127.0.0.1:{_host.Port}", "targets", "prune", "1", "--tag", "beta");

        AssertOk(tag);
        Assert.Equal(["acme-1 (version 1) added to tag beta; signed targets beta v1, main v2"], tag.Lines);
        Assert.NotNull(tagged);
        Assert.Equal(["main", "beta"], tagged.File.Custom!["tags"]!.AsArray().Select(t => (string)t!));
        Assert.Equal("r/acme/httpd@sha256:01", (string)tagged.File.Custom["docker_compose_apps"]!["httpd"]!["uri"]!);
        AssertOk(again);
        Assert.Equal(["acme-1 (version 1) is already in tag beta; nothing changed"], again.Lines);
        Assert.Equal(["acme-1 1 beta"], list.Rows.Select(r => $"{r["name"]} {r["version"]} {r["tags"]}"));
        Assert.Equal((ExitCodes.Failed, "no recorded target has version 9"), (unknown.End.ExitCode, unknown.End.Message));
        Assert.Equal((ExitCodes.Failed, "wave w1 of tag prod lists acme-1 (version 1); complete, cancel or abort the wave first"), (inWave.End.ExitCode, inWave.End.Message));
        AssertOk(prune);
        Assert.Equal(["acme-1 (version 1) removed from tag beta; signed targets beta v2, main v3"], prune.Lines);
        Assert.Null(pruned);
        Assert.Equal(2, device.TrustedTargets("targets")!.Signed.Version);
        Assert.Equal(ExitCodes.Failed, pruneAgain.ExitCode);
        var end = JsonDocument.Parse(pruneAgain.Stdout.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal("tag beta has no target with version 1; its versions: []", end.GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_devices_palette_lists_from_the_fleet_table_and_shows_the_twin()
    {
        var (_, certificate) = await _node.RegisterAsync("dev-1");
        (await _node.RegisterAsync("dev-2")).Certificate.Dispose();
        using var _ = certificate;
        using var client = _node.Client(certificate);
        const string correlation = "2-0b1c2d3e-0000-4000-8000-000000000001";
        DeviceEvent Event(string id, string type, bool? success = null) =>
            new(id, Now, new DeviceEventType(type), new DeviceEventBody(correlation, "acme-2", "2", success));
        (await client.PostAsJsonAsync("events", new[]
        {
            Event("e-1", DeviceEventTypes.DownloadStarted), Event("e-2", DeviceEventTypes.DownloadCompleted, true),
            Event("e-3", DeviceEventTypes.InstallationStarted), Event("e-4", DeviceEventTypes.InstallationApplied),
            Event("e-5", DeviceEventTypes.InstallationCompleted, true),
        }, DeviceApiJson.Options)).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync("apps-states", new AppsStatesReport(Now, "acme-2", new Dictionary<string, AppStateReport>
        {
            ["httpd"] = new("r/acme/httpd@sha256:02", AppStates.Healthy, new Dictionary<string, string> { ["web"] = "ok" }),
        }), DeviceApiJson.Options)).EnsureSuccessStatusCode();

        // The fleet table follows the journal: wait until the projection has applied both reports.
        PbmResult installed;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do installed = await RunAsync("devices", "list", "--status", "installed");
        while ((installed.Rows.Count == 0 || installed.Rows[0]["apps"] != "healthy") && DateTime.UtcNow < deadline && await Task.Delay(200).ContinueWith(_ => true));
        var all = await RunAsync("devices", "list", "--limit", "1");
        var offline = await RunAsync("devices", "list", "--offline");
        var show = await RunAsync("devices", "show", "dev-1");
        var updates = await RunAsync("devices", "updates", "dev-1");
        var attempt = await RunAsync("devices", "updates", "dev-1", correlation);
        var noAttempt = await RunAsync("devices", "updates", "dev-1", "3-nope");
        var apps = await RunAsync("devices", "apps-states", "dev-1");
        var noApps = await RunAsync("devices", "apps-states", "dev-2");
        var unknown = await RunAsync("devices", "show", "nobody");
        var badStatus = await RunAsync("devices", "list", "--status", "sleeping");
        var config = await RunAsync("devices", "config", "dev-1", "--tag", "beta");
        var clearWithTag = await RunAsync("devices", "config", "dev-1", "--clear", "--tag", "beta");

        var row = Assert.Single(installed.Rows);
        Assert.Equal(("dev-1", "main", "acme-2", "installed", "healthy"), (row["device"], row["tag"], row["target"], row["status"], row["apps"]));
        Assert.Equal(["dev-1"], all.Rows.Select(r => r["device"]));
        Assert.Equal("1 devices (2 matching); next page: --after dev-1", all.Lines.Single());
        Assert.Empty(offline.Rows);
        Assert.Equal(("main", "acme-2", "installed", "healthy"), (show.Value.GetProperty("tag").GetString(), show.Value.GetProperty("currentTarget").GetString(),
            show.Value.GetProperty("status").GetString(), show.Value.GetProperty("appHealth").GetString()));
        var update = Assert.Single(updates.Rows);
        Assert.Equal((correlation, "acme-2", DeviceEventTypes.InstallationCompleted, "true"), (update["correlation id"], update["target"], update["last event"], update["success"]));
        Assert.Equal(5, attempt.Value.GetProperty("eventIds").GetArrayLength());
        Assert.Equal((ExitCodes.Failed, "device dev-1 has no update \"3-nope\" among its last 1"), (noAttempt.End.ExitCode, noAttempt.End.Message));
        Assert.Equal(["httpd healthy r/acme/httpd@sha256:02 web: ok"], apps.Rows.Select(r => $"{r["app"]} {r["state"]} {r["uri"]} {r["services"]}"));
        Assert.Equal(["device dev-2 has not reported app states"], noApps.Lines);
        Assert.Equal((ExitCodes.Failed, ErrorCodes.NotFound, "no device \"nobody\" is registered"), (unknown.End.ExitCode, unknown.End.Error, unknown.End.Message));
        Assert.Equal((ExitCodes.Usage, "unknown status \"sleeping\"; statuses: download-failed, install-failed, installed, registered, updating"), (badStatus.End.ExitCode, badStatus.End.Message));
        Assert.Equal((ExitCodes.Usage, "devices config needs both --tag and --apps"), (config.End.ExitCode, config.End.Message));
        Assert.Equal((ExitCodes.Usage, "--clear drops the device's own config; it takes no --tag or --apps"), (clearWithTag.End.ExitCode, clearWithTag.End.Message));
    }

    [Fact]
    public async Task The_host_refuses_key_files_which_pbm_reads_on_the_client()
    {
        var result = await RunAsync("keys", "rotate-root", "--key", "root.pem");

        Assert.Equal((ExitCodes.Usage, ErrorCodes.Usage), (result.End.ExitCode, result.End.Error));
        Assert.StartsWith("--key names a key file that pbm reads on the client; the host never takes key files", result.End.Message);
    }

    [Fact]
    public async Task A_publish_streams_its_start_and_ends_with_the_publishers_reason()
    {
        var missing = Path.Combine(_node.Data.Path, "no-such-repository");

        var publish = await RunAsync("apps", "publish", "--repo", missing, "--tag", "main");

        Assert.Equal($"publishing {missing} at HEAD for tag main", publish.Lines[0]);
        Assert.Equal((ExitCodes.Failed, "publish-failed"), (publish.End.ExitCode, publish.End.Error));
        Assert.Contains("no-such-repository", publish.End.Message);
    }

    [Fact]
    public async Task The_session_reports_bad_frames_precisely_and_goes_on()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_host);
        var codec = new FrameCodec(tcp.GetStream(), FrameCodec.MaxServerFrameBytes);
        var stream = tcp.GetStream();
        async Task<ServerFrame?> SendAsync(string line)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
            return await codec.ReadAsync<ServerFrame>(CancellationToken.None);
        }

        var welcome = Assert.IsType<WelcomeFrame>(await SendAsync("{\"type\":\"hello\",\"version\":1}"));
        var notJson = Assert.IsType<EndFrame>(await SendAsync("not json"));
        var secondHello = Assert.IsType<EndFrame>(await SendAsync("{\"type\":\"hello\",\"version\":1}"));
        var unknown = Assert.IsType<EndFrame>(await SendAsync("{\"type\":\"request\",\"palette\":\"nope\",\"command\":\"x\",\"arguments\":[]}"));
        var works = await SendAsync("{\"type\":\"request\",\"palette\":\"cluster\",\"command\":\"leader\",\"arguments\":[]}");
        var end = await codec.ReadAsync<ServerFrame>(CancellationToken.None);
        var tooLarge = Assert.IsType<EndFrame>(await SendAsync(new string('x', FrameCodec.MaxClientFrameBytes + 10)));
        var closed = await codec.ReadAsync<ServerFrame>(CancellationToken.None);

        Assert.Equal((OperatorRole.Admin, PaletteCatalogNames), (welcome.Role, string.Join(",", welcome.Palettes.Select(p => p.Name))));
        Assert.Equal((ExitCodes.Usage, ErrorCodes.BadFrame), (notJson.ExitCode, notJson.Error));
        Assert.Equal("expected a request frame; hello is sent once, first", secondHello.Message);
        Assert.Equal((ExitCodes.Usage, ErrorCodes.UnknownPalette), (unknown.ExitCode, unknown.Error));
        Assert.IsType<LineFrame>(works);
        Assert.Equal(EndFrame.Ok, end);
        Assert.Equal((ExitCodes.Usage, ErrorCodes.FrameTooLarge), (tooLarge.ExitCode, tooLarge.Error));
        Assert.Null(closed);
    }

    private const string PaletteCatalogNames = "cluster,cluster-sharding,actor,apps,targets,devices,groups,waves,keys,audit";

    [Theory]
    [InlineData("{\"type\":\"request\",\"palette\":\"cluster\",\"command\":\"show\",\"arguments\":[]}", ErrorCodes.BadFrame, "the first frame must be hello")]
    [InlineData("{\"type\":\"hello\",\"version\":2}", ErrorCodes.UnsupportedVersion, "protocol version 2 is not supported; this host speaks version 1")]
    public async Task A_session_must_start_with_a_hello_of_this_version(string first, string error, string message)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_host);
        await tcp.GetStream().WriteAsync(Encoding.UTF8.GetBytes(first + "\n"));
        var codec = new FrameCodec(tcp.GetStream(), FrameCodec.MaxServerFrameBytes);

        var refused = Assert.IsType<EndFrame>(await codec.ReadAsync<ServerFrame>(CancellationToken.None));

        Assert.Equal((ExitCodes.Usage, error, message), (refused.ExitCode, refused.Error, refused.Message));
        Assert.Null(await codec.ReadAsync<ServerFrame>(CancellationToken.None));
    }

    [Fact]
    public async Task The_pbm_executable_runs_one_command_prints_json_and_exits_with_the_commands_code()
    {
        var endpoint = $"127.0.0.1:{_host.Port}";
        var leader = await PbmClient.ProcessAsync(endpoint, "cluster", "leader");
        var json = await PbmClient.ProcessAsync("--json", endpoint, "cluster", "show");
        var wrong = await PbmClient.ProcessAsync(endpoint, "devices", "list", "--colour", "red");
        var keys = await PbmClient.ProcessAsync(endpoint, "keys", "sign-targets", "main", "--json");
        var unreachable = await PbmClient.ProcessAsync("127.0.0.1:1", "cluster", "show");
        var interactive = await PbmClient.ProcessAsync(endpoint);

        Assert.Equal((0, ""), (leader.ExitCode, leader.Stderr));
        Assert.Matches(@"^akka\.ssl\.tcp://fleet@127\.0\.0\.1:\d+\n$", leader.Stdout);
        Assert.Equal(0, json.ExitCode);
        var lines = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("Up", lines[0].GetProperty("rows")[0].GetProperty("status").GetString());
        Assert.Equal(("end", 0), (lines[^1].GetProperty("type").GetString(), lines[^1].GetProperty("exitCode").GetInt32()));
        Assert.Equal(ExitCodes.Usage, wrong.ExitCode);
        Assert.StartsWith("error: unknown switch --colour; switches: --tag,", wrong.Stderr);
        Assert.Equal(ExitCodes.Failed, keys.ExitCode);
        Assert.Equal("the targets key of this factory is online; nothing to sign offline", JsonDocument.Parse(keys.Stdout.Trim()).RootElement.GetProperty("message").GetString());
        Assert.Equal(ExitCodes.Unavailable, unreachable.ExitCode);
        Assert.StartsWith("error: cannot reach the command host at 127.0.0.1:1:", unreachable.Stderr);
        // Interactive with stdin closed: the greeting, one prompt, then the end of input ends the session.
        Assert.Equal(0, interactive.ExitCode);
        Assert.StartsWith("connected to ", interactive.Stdout);
        Assert.Contains(" as admin;", interactive.Stdout);
    }
}
