using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Node.Gateway;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Node.Tests;

/// <summary>The device reports over real HTTPS with device certificates: events, app states, system info, limits.</summary>
public sealed class ReportTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private RunningNode _node = null!;

    public async Task InitializeAsync() => _node = await RunningNode.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private static DeviceEvent Event(string id, string type, string target = "acme-2", bool? success = null, string? details = null, string? correlation = null) =>
        new(id, Now, new DeviceEventType(type), new DeviceEventBody(correlation ?? "2-0b1c2d3e-0000-4000-8000-000000000001", target, target.Split('-')[^1], success, details));

    private static List<DeviceEvent> Update(string prefix) =>
    [
        Event($"{prefix}-1", DeviceEventTypes.DownloadStarted),
        Event($"{prefix}-2", DeviceEventTypes.DownloadCompleted, success: true),
        Event($"{prefix}-3", DeviceEventTypes.InstallationStarted),
        Event($"{prefix}-4", DeviceEventTypes.InstallationApplied),
        Event($"{prefix}-5", DeviceEventTypes.InstallationCompleted, success: true),
    ];

    private static Task<HttpResponseMessage> PostEventsAsync(HttpClient client, IEnumerable<DeviceEvent> events) =>
        client.PostAsJsonAsync("events", events, DeviceApiJson.Options);

    private static async Task<GatewayError> ErrorOf(HttpResponseMessage answer) => (await answer.Content.ReadFromJsonAsync<GatewayError>())!;

    [Fact]
    public async Task Events_are_recorded_in_the_certificates_twin_and_a_resent_batch_is_ignored()
    {
        var (_, certificate) = await _node.RegisterAsync("device-1");
        await _node.RegisterAsync("device-2");
        using var _ = certificate;
        using var client = _node.Client(certificate);

        var first = await PostEventsAsync(client, Update("e"));
        var resent = await PostEventsAsync(client, Update("e"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(new EventsAccepted(5, 0), await first.Content.ReadFromJsonAsync<EventsAccepted>(DeviceApiJson.Options));
        Assert.Equal(new EventsAccepted(0, 5), await resent.Content.ReadFromJsonAsync<EventsAccepted>(DeviceApiJson.Options));
        var twin = await _node.TwinAsync("device-1");
        Assert.Equal(("acme-2", DeviceStatuses.Installed), (twin.CurrentTarget, twin.Status));
        Assert.Empty((await _node.TwinAsync("device-2")).Installs);
    }

    public static IEnumerable<object[]> BadBatches()
    {
        var good = Event("ok-1", DeviceEventTypes.DownloadStarted);
        yield return [new[] { good, Event("a-2", "EcuExploded") },
            "events[1] (id a-2): unknown event type \"EcuExploded\"; known: EcuDownloadCompleted, EcuDownloadStarted, EcuInstallationApplied, EcuInstallationCompleted, EcuInstallationStarted"];
        yield return [new[] { good, Event("b-1", DeviceEventTypes.DownloadStarted, correlation: "2-not-a-uuid") }, "events[1] (id b-1): correlationId \"2-not-a-uuid\" is not <version>-<uuid>"];
        yield return [new[] { good, Event("c-1", DeviceEventTypes.DownloadStarted, details: new string('x', 2049)) }, "events[1] (id c-1): details is 2049 characters, over the 2048-character limit"];
        yield return [new[] { good, Event("d-1", DeviceEventTypes.InstallationCompleted) }, "events[1] (id d-1): EcuInstallationCompleted must carry success"];
        yield return [new[] { good, Event("e 1", DeviceEventTypes.DownloadStarted) }, "events[1]: id \"e 1\" is not 1-64 of A-Z a-z 0-9 . _ : -"];
        yield return [Array.Empty<DeviceEvent>(), "a batch holds 1..100 events; this one holds 0"];
        yield return [Enumerable.Range(0, 101).Select(i => Event($"f-{i}", DeviceEventTypes.DownloadStarted)).ToArray(), "a batch holds 1..100 events; this one holds 101"];
    }

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task A_bad_element_rejects_the_whole_batch_with_a_precise_400_and_stores_nothing(DeviceEvent[] batch, string message)
    {
        var (_, certificate) = await _node.RegisterAsync("device-3");
        using var _ = certificate;
        using var client = _node.Client(certificate);

        var answer = await PostEventsAsync(client, batch);

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        var error = await ErrorOf(answer);
        Assert.Equal("invalid-events", error.Error);
        Assert.Equal(message, error.Message);
        Assert.Empty((await _node.TwinAsync("device-3")).Installs);
    }

    [Fact]
    public async Task Malformed_and_oversized_bodies_get_json_errors()
    {
        var (_, certificate) = await _node.RegisterAsync("device-4");
        using var _ = certificate;
        using var client = _node.Client(certificate);

        var notJson = await client.PostAsync("events", new StringContent("[{\"id\": ", Encoding.UTF8, "application/json"));
        var tooLarge = await RunningNode.SendOversizedAsync(client, HttpMethod.Post, "events", new StringContent("[" + new string(' ', GatewayEndpoints.MaxEventsBytes) + "]", Encoding.UTF8, "application/json"));
        var systemInfoTooLarge = await RunningNode.SendOversizedAsync(client, HttpMethod.Put, "system_info", new ByteArrayContent(new byte[GatewayEndpoints.MaxSystemInfoBytes + 1]) { Headers = { ContentType = new("application/json") } });

        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Equal("invalid-json", (await ErrorOf(notJson)).Error);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("request-too-large", (await ErrorOf(tooLarge)).Error);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, systemInfoTooLarge.StatusCode);
        Assert.Empty((await _node.TwinAsync("device-4")).Installs);
    }

    /// <summary>
    /// An oversized body sent as a well-behaved client does (Expect: 100-continue): the gateway answers 413 before
    /// the body is sent. Without it the answer races the upload, and the client may see its own write fail first.
    /// </summary>
    [Fact]
    public async Task A_report_that_is_not_json_gets_415_and_nothing_is_stored()
    {
        var (_, certificate) = await _node.RegisterAsync("device-6");
        using var _ = certificate;
        using var client = _node.Client(certificate);
        var events = JsonContent.Create(new[] { Event("e-1", DeviceEventTypes.DownloadStarted) }, options: DeviceApiJson.Options);
        var body = await events.ReadAsStringAsync();

        var asText = await client.PostAsync("events", new StringContent(body, Encoding.UTF8, "text/plain"));
        var untyped = await client.PostAsync("apps-states", new ByteArrayContent(Encoding.UTF8.GetBytes("{}")));
        var asForm = await client.PutAsync("system_info", new FormUrlEncodedContent([new("agentVersion", "1")]));

        var errors = new List<GatewayError>();
        foreach (var answer in new[] { asText, untyped, asForm })
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, answer.StatusCode);
            errors.Add(await ErrorOf(answer));
        }
        Assert.All(errors, error => Assert.Equal("unsupported-media-type", error.Error));
        Assert.Equal("a report is JSON (Content-Type: application/json), not text/plain; charset=utf-8", errors[0].Message);
        var twin = await _node.TwinAsync("device-6");
        Assert.Empty(twin.Installs);
        Assert.Null(twin.Apps);
        Assert.Null(twin.SystemInfo);
        // The same body as JSON is taken.
        Assert.True((await client.PostAsync("events", new StringContent(body, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
    }

    [Fact]
    public async Task App_states_and_system_info_are_recorded_once_per_change()
    {
        var (_, certificate) = await _node.RegisterAsync("device-5");
        using var _ = certificate;
        using var client = _node.Client(certificate);
        var apps = new AppsStatesReport(Now, "acme-2", new Dictionary<string, AppStateReport>
        {
            ["web"] = new("r/acme/web@sha256:01", AppStates.Healthy, new Dictionary<string, string> { ["nginx"] = "ok" }),
        });
        var info = new SystemInfoReport("1.0.0", "Debian 12", "arm64", "24.0.7", null);

        var firstApps = await client.PostAsJsonAsync("apps-states", apps, DeviceApiJson.Options);
        var sameApps = await client.PostAsJsonAsync("apps-states", apps with { DeviceTime = Now.AddMinutes(5) }, DeviceApiJson.Options);
        var badApps = await client.PostAsJsonAsync("apps-states", apps with { Apps = new Dictionary<string, AppStateReport> { ["web"] = apps.Apps["web"] with { State = "dancing" } } }, DeviceApiJson.Options);
        var firstInfo = await client.PutAsJsonAsync("system_info", info, DeviceApiJson.Options);
        var sameInfo = await client.PutAsJsonAsync("system_info", info, DeviceApiJson.Options);
        var badInfo = await client.PutAsync("system_info", new StringContent("{\"agentVersion\":\"1\",\"os\":\"x\"}", Encoding.UTF8, "application/json"));

        Assert.Equal(new ReportAccepted(true), await firstApps.Content.ReadFromJsonAsync<ReportAccepted>(DeviceApiJson.Options));
        Assert.Equal(new ReportAccepted(false), await sameApps.Content.ReadFromJsonAsync<ReportAccepted>(DeviceApiJson.Options));
        Assert.Equal(HttpStatusCode.BadRequest, badApps.StatusCode);
        Assert.Equal("apps.web.state \"dancing\" is not one of healthy, starting, stopped, unhealthy", (await ErrorOf(badApps)).Message);
        Assert.Equal(new ReportAccepted(true), await firstInfo.Content.ReadFromJsonAsync<ReportAccepted>(DeviceApiJson.Options));
        Assert.Equal(new ReportAccepted(false), await sameInfo.Content.ReadFromJsonAsync<ReportAccepted>(DeviceApiJson.Options));
        Assert.Equal(HttpStatusCode.BadRequest, badInfo.StatusCode);
        Assert.Equal("architecture must be 1..256 characters", (await ErrorOf(badInfo)).Message);
        var twin = await _node.TwinAsync("device-5");
        Assert.Equal((AppHealth.Healthy, "acme-2", "1.0.0"), (twin.AppHealth, twin.CurrentTarget, twin.SystemInfo!.AgentVersion));
    }

    [Fact]
    public async Task Reports_need_the_device_certificate()
    {
        using var client = _node.Client();
        var answer = await PostEventsAsync(client, Update("z"));
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
    }
}

/// <summary>The per-device rate limit, on a node tuned to a small bucket.</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task A_device_over_its_rate_gets_429_with_retry_after_and_other_devices_are_not_slowed()
    {
        await using var node = await RunningNode.StartAsync(hocon: "fleet.gateway { device-requests-per-second = 0.2, device-request-burst = 3 }");
        var (_, greedy) = await node.RegisterAsync("device-greedy");
        var (_, calm) = await node.RegisterAsync("device-calm");
        using var _ = greedy;
        using var __ = calm;
        using var greedyClient = node.Client(greedy);
        using var calmClient = node.Client(calm);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++) answers.Add(await greedyClient.GetAsync("repo/1.root.json"));
        var calmAnswer = await calmClient.GetAsync("repo/1.root.json");

        Assert.Equal(HttpStatusCode.OK, answers[0].StatusCode);
        var limited = answers.Last();
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {limited.Headers.RetryAfter}");
        var error = (await limited.Content.ReadFromJsonAsync<GatewayError>())!;
        Assert.Equal("rate-limited", error.Error);
        Assert.StartsWith("device device-greedy sends more than 0.2 requests per second", error.Message);
        Assert.Equal(HttpStatusCode.OK, calmAnswer.StatusCode);
    }
}
