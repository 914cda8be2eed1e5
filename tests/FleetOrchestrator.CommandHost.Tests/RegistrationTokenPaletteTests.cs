using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Registration;
using FleetOrchestrator.Node.Gateway;
using FleetOrchestrator.Node.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary><c>pbm devices registration-token rotate</c> on a running node.</summary>
public sealed class RegistrationTokenPaletteTests : IAsyncLifetime
{
    private RunningNode _node = null!;

    public async Task InitializeAsync() => _node = await RunningNode.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private async Task<HttpStatusCode> RegisterAsync(string name, string token)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = _node.Client();
        var answer = await client.PostAsJsonAsync("devices", new RegistrationRequest(token, name,
            new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem(), "generic", "main"));
        return answer.StatusCode;
    }

    [Fact]
    public async Task Rotate_shows_a_new_token_once_the_new_one_registers_and_the_old_one_is_refused()
    {
        var host = await _node.CommandHostAsync();

        var rotated = await PbmClient.RunAsync(host, "devices", "registration-token", ["rotate"]);
        var token = rotated.Value.GetProperty("token").GetString()!;
        // Pub/sub brings the rotation to the gateway within milliseconds.
        var gateway = _node.App.Services.GetRequiredService<RegistrationTokens>();
        for (var attempt = 0; gateway.Sha256 != RegistrationTokenDecisions.Hash(token) && attempt < 100; attempt++) await Task.Delay(50);
        var withNew = await RegisterAsync("device-1", token);
        var withOld = await RegisterAsync("device-2", _node.Token);
        var unknownAction = await PbmClient.RunAsync(host, "devices", "registration-token", ["show"]);

        Assert.Equal(ExitCodes.Ok, rotated.End.ExitCode);
        Assert.NotEqual(_node.Token, token);
        Assert.True(token.Length >= 40);
        Assert.Equal(HttpStatusCode.Created, withNew);
        Assert.Equal(HttpStatusCode.Forbidden, withOld);
        Assert.Equal(ExitCodes.Usage, unknownAction.End.ExitCode);
        Assert.Equal("registration-token takes the action \"rotate\", not \"show\"", unknownAction.End.Message);
    }
}
