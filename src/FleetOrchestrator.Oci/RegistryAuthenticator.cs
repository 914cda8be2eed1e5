using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace FleetOrchestrator.Oci;

/// <summary>
/// Answers registry challenges: Basic with configured credentials, or the Bearer token flow
/// (GET realm?service&amp;scope with basic credentials, or the OAuth2 refresh-token POST for an identity token).
/// Tokens are cached per registry and scope until shortly before they expire.
/// </summary>
internal sealed class RegistryAuthenticator(HttpClient http, RegistryClientOptions options, Func<string, RegistryCredentials?> credentials)
{
    private const long MaxTokenResponseBytes = 1024 * 1024;
    // The token spec's default and minimum lifetime.
    private const int DefaultTokenSeconds = 60;
    private const string ClientId = "fleet-orchestrator";

    private readonly ConcurrentDictionary<string, AuthenticationHeaderValue> _basicByRegistry = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<(string Registry, string Scope), CachedToken> _tokens = new();

    private sealed record CachedToken(AuthenticationHeaderValue Header, DateTimeOffset ValidUntil);

    /// <summary>What to send before any challenge: a live token for this scope, or basic auth the registry asked for before.</summary>
    public AuthenticationHeaderValue? Cached(string registry, string scope) =>
        _tokens.TryGetValue((registry, scope), out var token) && token.ValidUntil > DateTimeOffset.UtcNow
            ? token.Header
            : _basicByRegistry.GetValueOrDefault(registry);

    /// <summary>The Authorization header answering the challenge in a 401; throws <see cref="OciAuthenticationException"/> when none can be made.</summary>
    public async Task<AuthenticationHeaderValue> AuthorizeAsync(
        string registry, string? repository, string scope, HttpResponseMessage unauthorized, CancellationToken ct)
    {
        var raw = unauthorized.Headers.NonValidated.TryGetValues("WWW-Authenticate", out var values) ? string.Join(", ", values) : "";
        var challenges = AuthChallenge.ParseAll(raw);
        var found = credentials(registry);
        if (challenges.FirstOrDefault(c => c.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) is { } bearer)
        {
            var token = await FetchTokenAsync(registry, repository, scope, bearer, found, ct);
            _tokens[(registry, scope)] = token;
            return token.Header;
        }
        if (challenges.Any(c => c.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)))
        {
            if (found is not { HasPassword: true })
                throw new OciAuthenticationException(registry, repository, NullIfEmpty(scope),
                    "the registry asks for basic auth and no username/password is configured for it", HttpStatusCode.Unauthorized);
            var header = BasicHeader(found);
            _basicByRegistry[registry] = header;
            return header;
        }
        throw new OciAuthenticationException(registry, repository, NullIfEmpty(scope),
            $"401 without a Bearer or Basic challenge (WWW-Authenticate: '{raw}')", HttpStatusCode.Unauthorized);
    }

    private async Task<CachedToken> FetchTokenAsync(
        string registry, string? repository, string scope, AuthChallenge bearer, RegistryCredentials? found, CancellationToken ct)
    {
        OciAuthenticationException Failure(string detail, HttpStatusCode? status = null) =>
            new(registry, repository, NullIfEmpty(scope), detail, status);

        var realm = bearer["realm"];
        if (!Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || realmUri.Scheme is not ("https" or "http"))
            throw Failure($"the Bearer challenge has no usable realm: '{realm}'");
        if (realmUri.Scheme == "http" && !options.PlainHttp)
            throw Failure($"token realm {realm} is plain http; credentials are only sent over TLS unless PlainHttp is set");

        var service = bearer["service"];
        // The registry's challenge names the scope it needs; ours is the fallback (e.g. after a cached token was refused).
        var scopes = (bearer["scope"] ?? scope).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var parameters = new List<KeyValuePair<string, string>>();
        if (!string.IsNullOrEmpty(service)) parameters.Add(new("service", service));
        parameters.AddRange(scopes.Select(s => new KeyValuePair<string, string>("scope", s)));

        using var request = found?.IdentityToken is { Length: > 0 } refreshToken
            ? new HttpRequestMessage(HttpMethod.Post, realmUri)
            {
                Content = new FormUrlEncodedContent([
                    new("grant_type", "refresh_token"), new("refresh_token", refreshToken), new("client_id", ClientId), .. parameters]),
            }
            : new HttpRequestMessage(HttpMethod.Get, WithQuery(realmUri, parameters));
        if (request.Method == HttpMethod.Get && found is { HasPassword: true }) request.Headers.Authorization = BasicHeader(found);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Timeout);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var endpoint = realmUri.GetLeftPart(UriPartial.Path);
        if ((int)response.StatusCode >= 500)
            throw new HttpRequestException($"token service {endpoint} answered {(int)response.StatusCode}", null, response.StatusCode);
        if (!response.IsSuccessStatusCode)
            throw Failure($"token service {endpoint} answered {(int)response.StatusCode}: {await HttpBodies.RegistryErrorsAsync(response, timeout.Token)}",
                response.StatusCode);

        var body = await HttpBodies.ReadBoundedAsync(response.Content, MaxTokenResponseBytes, $"token answer from {endpoint}", timeout.Token);
        string? token;
        var lifetime = DefaultTokenSeconds;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            token = StringProperty(root, "token") ?? StringProperty(root, "access_token");
            if (root.TryGetProperty("expires_in", out var expires) && expires.TryGetInt32(out var seconds))
                lifetime = Math.Max(seconds, DefaultTokenSeconds);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw Failure($"token service {endpoint} answered something that is not a JSON object: {e.Message}");
        }
        if (string.IsNullOrEmpty(token)) throw Failure($"token service {endpoint} answered without 'token' or 'access_token'");
        // Renew a little early so a token never expires between the check and its use.
        var validUntil = DateTimeOffset.UtcNow.AddSeconds(lifetime * 0.9);
        return new CachedToken(new AuthenticationHeaderValue("Bearer", token), validUntil);
    }

    private static Uri WithQuery(Uri realm, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var query = string.Join("&", parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        if (query.Length == 0) return realm;
        var builder = new UriBuilder(realm);
        builder.Query = builder.Query.Length > 1 ? builder.Query[1..] + "&" + query : query;
        return builder.Uri;
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static AuthenticationHeaderValue BasicHeader(RegistryCredentials credentials) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));

    private static string? NullIfEmpty(string scope) => scope.Length == 0 ? null : scope;
}
