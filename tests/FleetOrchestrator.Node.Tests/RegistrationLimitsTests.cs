using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Registration;
using FleetOrchestrator.Node.Gateway;
using Microsoft.Extensions.DependencyInjection;

namespace FleetOrchestrator.Node.Tests;

/// <summary>The registration throttle per source address, alone on a test clock.</summary>
public sealed class RegistrationThrottleTests
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly IPAddress A = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress B = IPAddress.Parse("10.0.0.2");
    private readonly Clock _clock = new();

    private RegistrationThrottle Throttle(int burst = 3, double perMinute = 6, int maxAddresses = 100) =>
        new(new RegistrationLimits(perMinute, burst, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), maxAddresses), _clock);

    [Fact]
    public void An_address_registers_its_burst_then_at_the_rate_and_others_are_not_slowed()
    {
        var throttle = Throttle();

        var burst = Enumerable.Range(0, 3).Select(_ => throttle.Admit(A)).ToList();
        var over = throttle.Admit(A);
        var other = throttle.Admit(B);
        _clock.Now += over!.Value;
        var afterWait = throttle.Admit(A);

        Assert.All(burst, wait => Assert.Null(wait));
        Assert.Equal(TimeSpan.FromSeconds(10), over); // one attempt per 10 s at 6 per minute
        Assert.Null(other);
        Assert.Null(afterWait);
    }

    [Fact]
    public void Failures_block_an_address_twice_as_long_each_time_up_to_the_bound_and_a_success_forgives_them()
    {
        var throttle = Throttle(burst: 100, perMinute: 100);
        var waits = new List<TimeSpan>();
        for (var i = 0; i < 8; i++)
        {
            Assert.Null(throttle.Admit(A));
            throttle.Failed(A);
            waits.Add(throttle.Admit(A)!.Value);
            _clock.Now += waits[^1];
        }
        throttle.Succeeded(A);
        Assert.Null(throttle.Admit(A));
        throttle.Failed(A);

        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60], waits.Select(w => w.TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.Admit(A));
    }

    [Fact]
    public void The_table_of_addresses_is_bounded()
    {
        var throttle = Throttle(maxAddresses: 10);

        for (var i = 0; i < 1000; i++) throttle.Admit(new IPAddress([10, 1, (byte)(i / 256), (byte)(i % 256)]));

        Assert.Equal(10, throttle.Count);
    }
}

/// <summary>Registrations with any token, answered whatever they are.</summary>
internal static class Registrations
{
    public static async Task<HttpResponseMessage> TryRegisterAsync(this RunningNode node, string name, string token)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = node.Client();
        return await client.PostAsJsonAsync("devices", new RegistrationRequest(token, name,
            new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem(), "generic", "main"));
    }
}

/// <summary>Registration token rotation on a real node's gateway (failures not throttled here: the test makes several at once).</summary>
public sealed class RegistrationTokenRotationTests : IAsyncLifetime
{
    private RunningNode _node = null!;

    public async Task InitializeAsync() =>
        _node = await RunningNode.StartAsync(hocon: "fleet.gateway.registration { failure-backoff = 1ms, max-failure-backoff = 1ms }");

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private Task<HttpResponseMessage> RegisterAsync(string name, string token) => _node.TryRegisterAsync(name, token);

    /// <summary>Waits (bounded) until the gateway's token is <paramref name="sha256"/>: pub/sub delivers the rotation in milliseconds.</summary>
    private async Task UntilGatewayTokenAsync(string sha256)
    {
        var tokens = _node.App.Services.GetRequiredService<RegistrationTokens>();
        for (var attempt = 0; tokens.Sha256 != sha256; attempt++)
        {
            Assert.True(attempt < 100, "the gateway never heard of the rotation");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_rotated_token_is_refused_at_once_and_after_a_restart_and_the_new_one_registers()
    {
        var singleton = await _node.App.Services.GetRequiredService<ActorRegistry>().GetAsync<RegistrationTokenActor>();
        const string newToken = "the-new-token-0123456789";

        var rotated = await singleton.Ask<RegistrationTokenHash>(new RotateRegistrationToken(RegistrationTokenDecisions.Hash(newToken)), TimeSpan.FromSeconds(20));
        await UntilGatewayTokenAsync(rotated.Sha256);
        var old = await RegisterAsync("device-1", _node.Token);
        var renewed = await RegisterAsync("device-2", newToken);
        await _node.RestartAsync();
        var oldAfterRestart = await RegisterAsync("device-3", _node.Token);
        var newAfterRestart = await RegisterAsync("device-4", newToken);

        Assert.Equal(HttpStatusCode.Forbidden, old.StatusCode);
        Assert.Equal("token-invalid", (await old.Content.ReadFromJsonAsync<GatewayError>())!.Error);
        Assert.Equal(HttpStatusCode.Created, renewed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, oldAfterRestart.StatusCode);
        Assert.Equal(HttpStatusCode.Created, newAfterRestart.StatusCode);
        Assert.Equal(rotated.Sha256, (await File.ReadAllTextAsync(new Factory.FactoryFiles(_node.Data.Path).RegistrationTokenHashFile)).Trim());
    }

}

/// <summary>The registration throttle on a real node's gateway.</summary>
public sealed class RegistrationThrottleGatewayTests : IAsyncLifetime
{
    private RunningNode _node = null!;

    public async Task InitializeAsync() => _node = await RunningNode.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private Task<HttpResponseMessage> RegisterAsync(string name, string token) => _node.TryRegisterAsync(name, token);

    [Fact]
    public async Task A_wrong_token_makes_the_address_wait_with_429_and_retry_after()
    {
        var wrong = await RegisterAsync("device-5", "not-the-token");
        var next = await RegisterAsync("device-6", _node.Token);

        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal((HttpStatusCode)429, next.StatusCode);
        Assert.Equal("registration-throttled", (await next.Content.ReadFromJsonAsync<GatewayError>())!.Error);
        Assert.Equal(TimeSpan.FromSeconds(1), next.Headers.RetryAfter!.Delta);
        Assert.Null((await _node.TwinAsync("device-6")).Registration);
    }
}
