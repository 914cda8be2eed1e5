using System.Security.Cryptography;
using System.Text;

namespace FleetOrchestrator.Oci.Tests;

public class ReferenceParsingTests
{
    private static readonly string Hex = Convert.ToHexStringLower(SHA256.HashData("reference-test"u8));

    [Theory]
    [InlineData("nginx", "docker.io", "library/nginx", null, "docker.io/library/nginx")]
    [InlineData("nginx:alpine", "docker.io", "library/nginx", "alpine", "docker.io/library/nginx:alpine")]
    [InlineData("user/app:1.0", "docker.io", "user/app", "1.0", "docker.io/user/app:1.0")]
    [InlineData("docker.io/nginx", "docker.io", "library/nginx", null, "docker.io/library/nginx")]
    [InlineData("index.docker.io/user/app", "docker.io", "user/app", null, "docker.io/user/app")]
    [InlineData("localhost/app", "localhost", "app", null, "localhost/app")]
    [InlineData("localhost:5000/a/b:tag", "localhost:5000", "a/b", "tag", "localhost:5000/a/b:tag")]
    [InlineData("127.0.0.1:5000/factory/app:latest", "127.0.0.1:5000", "factory/app", "latest", "127.0.0.1:5000/factory/app:latest")]
    [InlineData("registry.example.com/a/b/c", "registry.example.com", "a/b/c", null, "registry.example.com/a/b/c")]
    [InlineData("Registry.Example.com:443/x_y/a__b/c-d--e:V1_2.3-x", "Registry.Example.com:443", "x_y/a__b/c-d--e", "V1_2.3-x", "Registry.Example.com:443/x_y/a__b/c-d--e:V1_2.3-x")]
    [InlineData("[::1]:5000/app", "[::1]:5000", "app", null, "[::1]:5000/app")]
    public void Normalises_like_docker(string text, string domain, string repository, string? tag, string normalised)
    {
        var reference = ImageReference.Parse(text);
        Assert.Equal(domain, reference.Domain);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Null(reference.Digest);
        Assert.Equal(normalised, reference.ToString());
        Assert.Equal(reference, ImageReference.Parse(reference.ToString()));
    }

    [Fact]
    public void Digest_references_with_and_without_tag()
    {
        var byDigest = ImageReference.Parse($"ghcr.io/org/app@sha256:{Hex}");
        Assert.Equal(("ghcr.io", "org/app", (string?)null), (byDigest.Domain, byDigest.Repository, byDigest.Tag));
        Assert.Equal(Hex, byDigest.Digest!.Value.Hex);
        Assert.Equal($"sha256:{Hex}", byDigest.ManifestReference);

        var both = ImageReference.Parse($"x:tag@sha256:{Hex}");
        Assert.Equal($"docker.io/library/x:tag@sha256:{Hex}", both.ToString());
        Assert.Equal($"sha256:{Hex}", both.ManifestReference); // the digest wins over the tag

        var pinned = ImageReference.Parse("nginx:alpine").WithDigest(Digest.Parse($"sha256:{Hex}"));
        Assert.Equal($"docker.io/library/nginx@sha256:{Hex}", pinned.ToString());
        Assert.Equal("latest", ImageReference.Parse("nginx").ManifestReference);
    }

    [Theory]
    [InlineData("", "reference is empty")]
    [InlineData(" nginx", "whitespace")]
    [InlineData("Nginx", "repository 'library/Nginx' must be lowercase")]
    [InlineData("ghcr.io/Org/app", "repository 'Org/app' must be lowercase")]
    [InlineData("a//b", "empty path component")]
    [InlineData("ghcr.io/", "repository '' has an empty path component")]
    [InlineData("a/b/", "empty path component")]
    [InlineData("app:", "tag '' is invalid")]
    [InlineData("app:-x", "tag '-x' is invalid")]
    [InlineData("app:a+b", "tag 'a+b' is invalid")]
    [InlineData("app/-x", "path component '-x' is invalid")]
    [InlineData("app/a___b", "path component 'a___b' is invalid")]
    [InlineData("bad_host.io:port/app", "domain 'bad_host.io:port' is not a valid host[:port]")]
    [InlineData("app@sha256:abc", "sha256 digest has 3 hex characters, expected 64")]
    [InlineData("app@md5:abc", "digest algorithm 'md5' is not supported")]
    [InlineData("@sha256:0000000000000000000000000000000000000000000000000000000000000000", "repository name is empty")]
    public void Rejects_bad_references_naming_the_problem(string text, string expected)
    {
        var error = Assert.Throws<OciReferenceException>(() => ImageReference.Parse(text));
        Assert.Contains(expected, error.Message);
        Assert.Contains($"'{text}'", error.Message);
        Assert.False(ImageReference.TryParse(text, out _));
    }

    [Fact]
    public void Rejects_overlong_tags_and_names()
    {
        Assert.Contains("tag", Assert.Throws<OciReferenceException>(() => ImageReference.Parse("app:" + new string('a', 129))).Message);
        Assert.Contains("name is 266 characters long, at most 255",
            Assert.Throws<OciReferenceException>(() => ImageReference.Parse("ghcr.io/" + new string('a', 258))).Message);
    }

    [Fact]
    public void Digest_parses_only_lowercase_sha256()
    {
        var digest = Digest.Parse($"sha256:{Hex}");
        Assert.Equal(("sha256", Hex), (digest.Algorithm, digest.Hex));
        Assert.Equal($"sha256:{Hex}", digest.ToString());
        Assert.True(Digest.TryParse($"sha256:{Hex}", out var again));
        Assert.Equal(digest, again);

        Assert.Contains("only lowercase hex", Assert.Throws<OciReferenceException>(() => Digest.Parse($"sha256:{Hex.ToUpperInvariant()}")).Message);
        Assert.Contains("'sha512' is not supported", Assert.Throws<OciReferenceException>(() => Digest.Parse($"sha512:{Hex}{Hex}")).Message);
        Assert.Contains("no ':'", Assert.Throws<OciReferenceException>(() => Digest.Parse(Hex)).Message);
        Assert.Contains("63 hex characters", Assert.Throws<OciReferenceException>(() => Digest.Parse($"sha256:{Hex[1..]}")).Message);
        Assert.False(Digest.TryParse(null, out _));
        Assert.False(Digest.TryParse("", out _));
    }

    [Fact]
    public async Task Digest_of_bytes_and_of_streams_agree_with_sha256()
    {
        var content = Encoding.UTF8.GetBytes("some content");
        var expected = Convert.ToHexStringLower(SHA256.HashData(content));
        Assert.Equal(expected, Digest.Sha256(content).Hex);
        Assert.Equal(Digest.Sha256(content), await Digest.Sha256Async(new MemoryStream(content), CancellationToken.None));
    }
}
