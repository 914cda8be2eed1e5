using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Web;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Oci.Tests;

/// <summary>
/// A real registry configured for token auth (<c>auth: token:</c>) and the token service it trusts: a loopback
/// server issuing RS256 JWTs signed by a self-signed certificate written into the registry's rootcertbundle.
/// Users: writer (pull, push), reader (pull); refresh token <see cref="WriterRefreshToken"/> acts as writer.
/// </summary>
public sealed class TokenAuthRegistryFixture : IAsyncLifetime
{
    public const string Service = "fleet-registry";
    public const string WriterRefreshToken = "writer-refresh-token";
    private const string Issuer = "fleet-test-issuer";
    private static readonly Dictionary<string, (string Password, string[] Actions)> Users = new()
    {
        ["writer"] = ("writer-pw", ["pull", "push"]),
        ["reader"] = ("reader-pw", ["pull"]),
    };

    private readonly RSA _key = RSA.Create(2048);
    private X509Certificate2 _certificate = null!;
    private LoopbackServer _tokenServer = null!;
    private RegistryProcess _registry = null!;
    private readonly TempDirectory _folder = new();

    public string Address { get; private set; } = "";
    /// <summary>Each token request: service, scopes, user (or "" when anonymous).</summary>
    public ConcurrentQueue<(string Service, string[] Scopes, string User)> TokenRequests { get; } = new();
    /// <summary>Answer with the OAuth2 field name instead of docker's <c>token</c>.</summary>
    public bool UseAccessTokenField { get; set; }

    public async Task InitializeAsync()
    {
        var request = new CertificateRequest("CN=fleet test token issuer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        var bundle = _folder.Write("root.pem", _certificate.ExportCertificatePem());
        _tokenServer = new LoopbackServer(IssueTokenAsync);

        _registry = await RegistryProcess.StartAsync(authSection: $"""
            auth:
              token:
                realm: http://{_tokenServer.Address}/token
                service: {Service}
                issuer: {Issuer}
                rootcertbundle: {bundle}
            """);
        Address = _registry.Address;
    }

    private async Task IssueTokenAsync(HttpListenerContext context)
    {
        // GET with query parameters, or the OAuth2 POST with a form body.
        var parameters = context.Request.QueryString;
        if (context.Request.HttpMethod == "POST")
        {
            using var reader = new StreamReader(context.Request.InputStream);
            parameters = HttpUtility.ParseQueryString(await reader.ReadToEndAsync());
        }
        var service = parameters["service"] ?? "";
        var scopes = parameters.GetValues("scope") ?? [];
        var user = "";
        var granted = Array.Empty<string>();
        if (parameters["grant_type"] == "refresh_token")
        {
            if (parameters["refresh_token"] != WriterRefreshToken || string.IsNullOrEmpty(parameters["client_id"]))
            {
                await LoopbackServer.AnswerAsync(context, 401, """{"errors":[{"code":"UNAUTHORIZED","message":"bad refresh token"}]}"""u8.ToArray());
                return;
            }
            (user, granted) = ("writer", Users["writer"].Actions);
        }
        else if (context.Request.Headers["Authorization"] is { } header && header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..])).Split(':', 2);
            if (!Users.TryGetValue(pair[0], out var entry) || entry.Password != pair[1])
            {
                await LoopbackServer.AnswerAsync(context, 401, """{"errors":[{"code":"UNAUTHORIZED","message":"bad user or password"}]}"""u8.ToArray());
                return;
            }
            (user, granted) = (pair[0], entry.Actions);
        }
        TokenRequests.Enqueue((service, scopes, user));
        var access = new JsonArray();
        foreach (var scope in scopes)
        {
            var parts = scope.Split(':');
            if (parts.Length != 3 || parts[0] != "repository") continue;
            var actions = parts[2].Split(',').Intersect(granted).Select(a => (JsonNode)a).ToArray();
            access.Add(new JsonObject { ["type"] = "repository", ["name"] = parts[1], ["actions"] = new JsonArray(actions) });
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["iss"] = Issuer, ["sub"] = user, ["aud"] = service, ["exp"] = now + 300, ["nbf"] = now - 10, ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"), ["access"] = access,
        };
        var body = new JsonObject { [UseAccessTokenField ? "access_token" : "token"] = Jwt(claims), ["expires_in"] = 300 };
        await LoopbackServer.AnswerAsync(context, 200, Encoding.UTF8.GetBytes(body.ToJsonString()));
    }

    /// <summary>RS256 JWS; the registry checks the x5c certificate against its rootcertbundle.</summary>
    private string Jwt(JsonObject claims)
    {
        var header = new JsonObject
        {
            ["alg"] = "RS256", ["typ"] = "JWT", ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)),
        };
        var signingInput = $"{Base64Url(header)}.{Base64Url(claims)}";
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signingInput}.{Base64Url(signature)}";
    }

    private static string Base64Url(JsonObject json) => Base64Url(Encoding.UTF8.GetBytes(json.ToJsonString()));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public Task DisposeAsync()
    {
        _registry.Dispose();
        _tokenServer.Dispose();
        _certificate.Dispose();
        _key.Dispose();
        _folder.Dispose();
        return Task.CompletedTask;
    }
}
