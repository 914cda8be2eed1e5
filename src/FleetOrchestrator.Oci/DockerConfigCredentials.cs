using System.Text;
using System.Text.Json;

namespace FleetOrchestrator.Oci;

/// <summary>
/// Reads registry credentials from docker's <c>config.json</c>: <c>auths.&lt;host&gt;.auth</c> (base64 user:password),
/// <c>username</c>/<c>password</c> and <c>identitytoken</c>. Credential helpers (credsStore, credHelpers) are not run.
/// </summary>
public static class DockerConfigCredentials
{
    private const long MaxConfigBytes = 1024 * 1024;

    /// <summary>$DOCKER_CONFIG/config.json, else ~/.docker/config.json.</summary>
    public static string DefaultPath()
    {
        var folder = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        if (string.IsNullOrEmpty(folder))
            folder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        return Path.Combine(folder, "config.json");
    }

    /// <summary>A lookup by registry host over the file read once now; a missing file gives no credentials.</summary>
    public static Func<string, RegistryCredentials?> Load(string? path = null)
    {
        path ??= DefaultPath();
        var byHost = File.Exists(path) ? Parse(path) : new Dictionary<string, RegistryCredentials>();
        return host => byHost.GetValueOrDefault(NormaliseHost(host));
    }

    private static Dictionary<string, RegistryCredentials> Parse(string path)
    {
        var info = new FileInfo(path);
        if (info.Length > MaxConfigBytes)
            throw new OciException($"docker config {path} is {info.Length} bytes, at most {MaxConfigBytes} read");
        var result = new Dictionary<string, RegistryCredentials>(StringComparer.OrdinalIgnoreCase);
        JsonDocument document;
        try { document = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new OciException($"docker config {path} is not valid JSON: {e.Message}", inner: e); }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object ||
                !document.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
                return result;
            foreach (var entry in auths.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Object) continue;
                string? username = Text(entry.Value, "username"), password = Text(entry.Value, "password");
                if (Text(entry.Value, "auth") is { Length: > 0 } auth)
                    (username, password) = DecodeAuth(path, entry.Name, auth);
                var identityToken = Text(entry.Value, "identitytoken");
                if (username is null && identityToken is null) continue;
                result[NormaliseHost(entry.Name)] = new RegistryCredentials(username, password, identityToken);
            }
        }
        return result;
    }

    private static (string, string) DecodeAuth(string path, string host, string auth)
    {
        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth)); }
        catch (FormatException) { throw new OciException($"docker config {path}: auths.{host}.auth is not base64"); }
        var colon = decoded.IndexOf(':');
        if (colon <= 0) throw new OciException($"docker config {path}: auths.{host}.auth does not decode to user:password");
        return (decoded[..colon], decoded[(colon + 1)..]);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>"https://index.docker.io/v1/", "registry-1.docker.io" and "docker.io" are one registry; schemes and paths are dropped.</summary>
    internal static string NormaliseHost(string key)
    {
        var host = key;
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) host = host[(scheme + 3)..];
        var slash = host.IndexOf('/');
        if (slash >= 0) host = host[..slash];
        host = host.ToLowerInvariant();
        return host is "index.docker.io" or "registry-1.docker.io" ? ImageReference.DockerHubDomain : host;
    }
}
