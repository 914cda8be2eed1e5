using System.Text;
using FleetOrchestrator.ComposeApps.Compose;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.Publishing.Tests;

public class ImagePlatformsTests
{
    private static FetchedManifest Manifest(string mediaType, string json) =>
        new(mediaType, Digest.Sha256(Encoding.UTF8.GetBytes(json)), Encoding.UTF8.GetBytes(json));

    [Fact]
    public void An_index_lists_its_platforms_without_attestations()
    {
        var (platforms, config, _) = ImagePlatforms.FromManifest(Manifest(OciMediaTypes.OciIndex, """
            {"manifests":[{"platform":{"os":"linux","architecture":"amd64"}},
                          {"platform":{"os":"linux","architecture":"arm","variant":"v7"}},
                          {"platform":{"os":"unknown","architecture":"unknown"}}]}
            """));
        Assert.Null(config);
        Assert.Equal(["linux/amd64", "linux/arm/v7"], platforms!);
    }

    [Fact]
    public void A_single_manifest_points_at_its_config()
    {
        var digest = Digest.Sha256("cfg"u8);
        var (platforms, config, size) = ImagePlatforms.FromManifest(Manifest(OciMediaTypes.DockerManifest,
            $$$"""{"config":{"digest":"{{{digest}}}","size":3}}"""));
        Assert.Null(platforms);
        Assert.Equal(digest, config);
        Assert.Equal(3, size);
        Assert.Equal(["linux/arm64"], ImagePlatforms.FromConfig("""{"os":"linux","architecture":"arm64"}"""u8.ToArray(), digest));
    }

    [Theory]
    [InlineData("""{"config":{"digest":"nope","size":3}}""", "no valid config descriptor")]
    [InlineData("""{"config":{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":99999999}}""", "no valid config descriptor")]
    [InlineData("[1]", "is not a JSON object")]
    [InlineData("{", "is not JSON")]
    public void Bad_manifests_are_refused(string json, string expected) =>
        Assert.Contains(expected, Assert.Throws<OciException>(() => ImagePlatforms.FromManifest(Manifest(OciMediaTypes.OciManifest, json))).Message);

    [Fact]
    public void A_config_without_architecture_is_refused() =>
        Assert.Contains("names no os/architecture", Assert.Throws<OciException>(() => ImagePlatforms.FromConfig("{}"u8.ToArray(), Digest.Sha256("{}"u8))).Message);

    private static PinRequest Request(string service, string image) => new(service, image, ImageReference.Parse(image));

    [Fact]
    public void An_app_runs_where_every_image_runs()
    {
        var plan = new[] { Request("a", "x/multi:1"), Request("b", "x/amd:1") };
        var resolved = new Dictionary<ImageReference, ResolvedImage>
        {
            [plan[0].Image] = new(Digest.Sha256("1"u8), new HashSet<string> { "linux/amd64", "linux/arm64" }),
            [plan[1].Image] = new(Digest.Sha256("2"u8), new HashSet<string> { "linux/amd64" }),
        };
        Assert.Equal(["linux/amd64"], ImageResolver.CommonPlatforms("app", plan, resolved));
    }

    [Fact]
    public void Images_with_no_platform_in_common_are_an_error_naming_each()
    {
        var plan = new[] { Request("a", "x/arm:1"), Request("b", "x/amd:1") };
        var resolved = new Dictionary<ImageReference, ResolvedImage>
        {
            [plan[0].Image] = new(Digest.Sha256("1"u8), new HashSet<string> { "linux/arm64" }),
            [plan[1].Image] = new(Digest.Sha256("2"u8), new HashSet<string> { "linux/amd64" }),
        };
        var message = Assert.Throws<PublishException>(() => ImageResolver.CommonPlatforms("app", plan, resolved)).Message;
        Assert.Contains("app 'app': its images share no platform", message);
        Assert.Contains("service 'a' docker.io/x/arm:1 runs on [linux/arm64]", message);
        Assert.Contains("service 'b' docker.io/x/amd:1 runs on [linux/amd64]", message);
    }
}
