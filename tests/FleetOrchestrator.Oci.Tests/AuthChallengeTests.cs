using System.Text;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.Oci.Tests;

public class AuthChallengeTests
{
    [Fact]
    public void Parses_quoted_values_with_commas_spaces_and_escapes()
    {
        var challenge = Assert.Single(AuthChallenge.ParseAll(
            "Bearer realm=\"https://auth.example.com/token?a=1,b=2\", service=\"registry example\",scope=\"repository:a/b:pull,push\",error=\"say \\\"hi\\\"\""));
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Equal("https://auth.example.com/token?a=1,b=2", challenge["realm"]);
        Assert.Equal("registry example", challenge["service"]);
        Assert.Equal("repository:a/b:pull,push", challenge["scope"]);
        Assert.Equal("say \"hi\"", challenge["error"]);
    }

    [Fact]
    public void Parses_several_challenges_and_unquoted_values()
    {
        var challenges = AuthChallenge.ParseAll("Basic realm=\"fleet, test\", Bearer realm=https://x/token,service=reg");
        Assert.Equal(["Basic", "Bearer"], challenges.Select(c => c.Scheme));
        Assert.Equal("fleet, test", challenges[0]["realm"]);
        Assert.Equal("https://x/token", challenges[1]["realm"]);
        Assert.Equal("reg", challenges[1]["service"]);
        Assert.Empty(AuthChallenge.ParseAll(""));
    }

    [Fact]
    public void Docker_config_gives_credentials_by_normalised_host()
    {
        using var folder = new TempDirectory();
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret:with-colon"));
        var path = folder.Write("config.json", $$"""
            { "auths": {
                "https://index.docker.io/v1/": { "auth": "{{auth}}" },
                "127.0.0.1:5000": { "username": "bob", "password": "pw" },
                "https://ghcr.io": { "identitytoken": "refresh-me" },
                "empty.example": {}
            }, "credsStore": "desktop" }
            """);
        var lookup = DockerConfigCredentials.Load(path);
        Assert.Equal(new RegistryCredentials("alice", "s3cret:with-colon", null), lookup("docker.io"));
        Assert.Equal(new RegistryCredentials("bob", "pw", null), lookup("127.0.0.1:5000"));
        Assert.Equal(new RegistryCredentials(null, null, "refresh-me"), lookup("ghcr.io"));
        Assert.Null(lookup("empty.example"));
        Assert.Null(lookup("other.example"));
        Assert.Null(DockerConfigCredentials.Load(folder.Combine("missing.json"))("docker.io"));
    }

    [Fact]
    public void Docker_config_errors_name_the_file_and_entry()
    {
        using var folder = new TempDirectory();
        var path = folder.Write("config.json", """{ "auths": { "r.example": { "auth": "not base64!" } } }""");
        var error = Assert.Throws<OciException>(() => DockerConfigCredentials.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("auths.r.example.auth is not base64", error.Message);
    }
}
