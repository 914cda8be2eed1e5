using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>
/// <c>pbm groups</c> and <c>pbm devices config</c> against a running node, and what the gateway then serves each device:
/// its config at <c>GET /config</c> and the repository of its new tag.
/// </summary>
public sealed class GroupsPaletteTests : IAsyncLifetime
{
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

    private async Task<IReadOnlyList<IReadOnlyDictionary<string, string?>>> UntilListedAsync(string expected, params string[] listArguments)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(200))
        {
            var rows = (await RunAsync("devices", "list", listArguments)).Rows;
            var seen = string.Join(" ", rows.Select(r => $"{r["device"]}:{r["tag"]}:{r["group"]}"));
            if (seen == expected) return rows;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"devices list {string.Join(" ", listArguments)}: {seen}, not {expected}");
        }
    }

    private static async Task<(HttpStatusCode Status, DeviceConfig? Config, string? ETag)> ConfigAsync(HttpClient device, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "config");
        if (ifNoneMatch is not null) request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(ifNoneMatch));
        using var response = await device.SendAsync(request);
        var config = response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<DeviceConfig>() : null;
        return (response.StatusCode, config, response.Headers.ETag?.ToString());
    }

    private static async Task UntilConfigAsync(HttpClient device, DeviceConfig? expected)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(200))
        {
            var (_, config, _) = await ConfigAsync(device);
            if (Equals(expected, config)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"GET /config answered {config}, not {expected}");
        }
    }

    [Fact]
    public async Task Operators_group_devices_and_configure_them_and_each_device_is_served_its_config()
    {
        var (_, certA) = await _node.RegisterAsync("dev-a", group: "lab");
        var (_, certB) = await _node.RegisterAsync("dev-b");
        var (_, certC) = await _node.RegisterAsync("dev-c");
        using var deviceA = _node.Client(certA);
        using var deviceB = _node.Client(certB);
        using var deviceC = _node.Client(certC);
        await UntilListedAsync("dev-a:main:lab dev-b:main: dev-c:main:");
        var before = await ConfigAsync(deviceB); // the gateway now caches dev-b: later changes reach it by pub/sub

        var create = await RunAsync("groups", "create", "field", "--description", "customer sites");
        var again = await RunAsync("groups", "create", "field");
        var stolen = await RunAsync("groups", "add", "field", "--device", "dev-a", "--device", "dev-b");
        var add = await RunAsync("groups", "add", "field", "--device", "dev-b", "--device", "dev-c");
        await UntilListedAsync("dev-b:main:field dev-c:main:field", "--group", "field");
        var badApps = await RunAsync("groups", "config", "field", "--tag", "prod", "--apps", "web,Bad");
        var config = await RunAsync("groups", "config", "field", "--tag", "prod", "--apps", "web");
        var own = await RunAsync("devices", "config", "dev-c", "--tag", "qa", "--apps", "none");
        var unknown = await RunAsync("devices", "config", "nobody", "--tag", "qa", "--apps", "all");
        var listed = await UntilListedAsync("dev-b:prod:field dev-c:qa:field", "--group", "field");
        var list = await RunAsync("groups", "list");
        var busy = await RunAsync("groups", "delete", "field");

        AssertOk(create);
        Assert.Equal(["created group field"], create.Lines);
        Assert.Equal((ExitCodes.Failed, "group field already exists"), (again.End.ExitCode, again.End.Message));
        Assert.Equal((ExitCodes.Failed, "device dev-a is in group lab; a device belongs to one group: remove it from lab first; nothing changed"),
            (stolen.End.ExitCode, stolen.End.Message));
        AssertOk(add);
        Assert.Equal(["2 devices added to group field"], add.Lines);
        Assert.Equal((ExitCodes.Usage, "invalid app name \"Bad\" in the app selection: use 1-63 of a-z 0-9 _ - starting with a letter or digit (a docker compose project name)"), (badApps.End.ExitCode, badApps.End.Message));
        AssertOk(config);
        Assert.Equal(["group field follows tag prod, apps web", "2 devices of group field changed"], config.Lines);
        AssertOk(own);
        Assert.Equal(["device dev-c follows tag qa, apps none (its own config)"], own.Lines);
        Assert.Equal((ExitCodes.Failed, ErrorCodes.NotFound, "device \"nobody\" is not registered"), (unknown.End.ExitCode, unknown.End.Error, unknown.End.Message));
        Assert.Equal(2, listed.Count);
        var row = Assert.Single(list.Rows);
        Assert.Equal(("field", "customer sites", "prod", "web", "2"), (row["group"], row["description"], row["tag"], row["apps"], row["devices"]));
        Assert.Equal((ExitCodes.Failed, "group field has 2 devices; remove them first (pbm groups remove field --device <device>)"), (busy.End.ExitCode, busy.End.Message));

        // The gateway: each device gets the config an operator set (its own, else its group's) with an ETag; none: 204.
        Assert.Equal((HttpStatusCode.NoContent, null), (before.Status, before.Config));
        await UntilConfigAsync(deviceB, DeviceConfig.Of("prod", ["web"]));
        var (status, configB, etag) = await ConfigAsync(deviceB);
        Assert.Equal((HttpStatusCode.OK, DeviceConfig.Of("prod", ["web"])), (status, configB));
        Assert.Equal(HttpStatusCode.NotModified, (await ConfigAsync(deviceB, etag)).Status);
        Assert.Equal(DeviceConfig.Of("qa", []), (await ConfigAsync(deviceC)).Config);
        Assert.Equal(HttpStatusCode.NoContent, (await ConfigAsync(deviceA)).Status);
        // ... and the repository of its tag: no target was ever published for prod, so it is the signed empty chain.
        using var timestamp = await deviceB.GetAsync("repo/timestamp.json");
        Assert.Equal(HttpStatusCode.OK, timestamp.StatusCode);
        Assert.Contains("\"_type\":\"timestamp\"", (await timestamp.Content.ReadAsStringAsync()).Replace(" ", ""));
        using var unauthenticated = _node.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await unauthenticated.GetAsync("config")).StatusCode);

        var notMember = await RunAsync("groups", "remove", "field", "--device", "dev-a");
        var remove = await RunAsync("groups", "remove", "field", "--device", "dev-b", "--device", "dev-c");
        await UntilListedAsync("", "--group", "field");
        var delete = await RunAsync("groups", "delete", "field");
        var after = await RunAsync("groups", "list");

        Assert.Equal((ExitCodes.Failed, "device dev-a is not in group field (its group is lab); nothing changed"), (notMember.End.ExitCode, notMember.End.Message));
        Assert.Equal(["2 devices removed from group field"], remove.Lines);
        Assert.Equal(["deleted group field"], delete.Lines);
        Assert.Empty(after.Rows);
        // Out of the group, dev-b follows its registration (its edge.conf) again; dev-c keeps its own config.
        await UntilConfigAsync(deviceB, null);
        Assert.Equal(DeviceConfig.Of("qa", []), (await ConfigAsync(deviceC)).Config);
    }
}
