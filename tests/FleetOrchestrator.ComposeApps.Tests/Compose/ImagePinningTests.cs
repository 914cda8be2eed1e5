using System.Text;
using FleetOrchestrator.ComposeApps.Compose;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.ComposeApps.Tests.Compose;

public class ImagePinningTests
{
    private static readonly FactoryImages Factory = new("127.0.0.1:5000", "acme", "abc1234");
    private static readonly Digest D1 = Digest.Sha256("one"u8);
    private static readonly Digest D2 = Digest.Sha256("two"u8);

    private static ComposeFile Compose(string services) =>
        ComposeFile.Parse(Encoding.UTF8.GetBytes("services:\n" + services), "app/docker-compose.yml");

    private static PinRequest PlanOne(string image) =>
        ImagePinning.Plan(Compose($"  s:\n    image: {image}\n"), Factory, "app").Single();

    [Theory]
    [InlineData("nginx:alpine", "docker.io/library/nginx:alpine")]
    [InlineData("ghcr.io/o/r:1.2", "ghcr.io/o/r:1.2")]
    [InlineData("127.0.0.1:5000/acme/web", "127.0.0.1:5000/acme/web:abc1234")]
    [InlineData("127.0.0.1:5000/acme/web:latest", "127.0.0.1:5000/acme/web:abc1234")]
    [InlineData("127.0.0.1:5000/acme/web:${TAG}", "127.0.0.1:5000/acme/web:abc1234")]
    [InlineData("127.0.0.1:5000/other/web:v1", "127.0.0.1:5000/other/web:v1")]
    public void Tags_to_resolve_follow_the_factory_rules(string written, string toResolve)
    {
        var request = PlanOne(written);
        Assert.True(request.NeedsResolution);
        Assert.Equal(toResolve, request.Image.ToString());
        Assert.Equal(written, request.WrittenImage);
    }

    [Fact]
    public void A_digest_reference_is_kept_and_needs_no_resolution()
    {
        var request = PlanOne($"nginx@{D1}");
        Assert.False(request.NeedsResolution);
        Assert.Equal(D1, request.Image.Digest);
    }

    [Theory]
    [InlineData("nginx", "has neither tag nor digest: pin to a :tag or @sha256")]
    [InlineData("127.0.0.1:5000/acme/web:v2", "has tag ':v2'; factory images use no tag, :latest or :${TAG}")]
    [InlineData("nginx:${TAG}", ":${TAG} is only for factory images")]
    [InlineData("nginx:${VERSION}", "uses a variable")]
    [InlineData("UPPER/case:1", "is not a valid reference")]
    public void Bad_images_are_refused_naming_service_and_image(string image, string expected)
    {
        var message = Assert.Throws<PinningException>(() => PlanOne(image)).Message;
        Assert.Contains("app 'app'", message);
        Assert.Contains("service 's'", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void A_service_without_image_is_refused_and_all_problems_are_reported_together()
    {
        var message = Assert.Throws<PinningException>(() =>
            ImagePinning.Plan(Compose("  a:\n    build: .\n  b:\n    image: nginx\n"), Factory, "app")).Message;
        Assert.Contains("service 'a' has no image", message);
        Assert.Contains("service 'b' image 'nginx'", message);
    }

    [Fact]
    public void Apply_pins_every_service_removes_build_and_labels_the_config_hash()
    {
        var compose = Compose("  web:\n    image: nginx:alpine\n    build: ./web\n    labels:\n      keep: \"me\"\n  app:\n    image: 127.0.0.1:5000/acme/app\n    labels:\n    - a=b\n");
        var plan = ImagePinning.Plan(compose, Factory, "app");
        var resolved = new Dictionary<ImageReference, Digest>
        {
            [ImageReference.Parse("nginx:alpine")] = D1,
            [ImageReference.Parse("127.0.0.1:5000/acme/app:abc1234")] = D2,
        };
        var pinned = Encoding.UTF8.GetString(ImagePinning.Apply(compose, plan, resolved));

        Assert.Contains($"image: docker.io/library/nginx@{D1}", pinned);
        Assert.Contains($"image: 127.0.0.1:5000/acme/app@{D2}", pinned);
        Assert.DoesNotContain("build", pinned);
        Assert.Contains("keep: \"me\"", pinned);
        var reread = ComposeFile.Parse(Encoding.UTF8.GetBytes(pinned), "pinned");
        foreach (var service in reread.Services)
        {
            var hash = ImagePinning.ConfigHash(service);
            Assert.Matches("^[0-9a-f]{64}$", hash);
            Assert.Equal(hash, service.LabelValue(ComposeService.ConfigHashLabel)); // the label holds the hash of the definition as written back
        }
        Assert.Contains("- a=b", pinned);
    }

    [Fact]
    public void Config_hash_changes_with_the_definition_and_ignores_its_own_label()
    {
        static string Hash(string services) => ImagePinning.ConfigHash(Compose(services).Services[0]);
        var plain = Hash($"  s:\n    image: x@{D1}\n");
        Assert.Equal(plain, Hash($"  s:\n    image: x@{D1}\n    labels:\n      {ComposeService.ConfigHashLabel}: \"old\"\n"));
        Assert.NotEqual(plain, Hash($"  s:\n    image: x@{D2}\n"));
        Assert.NotEqual(plain, Hash($"  s:\n    image: x@{D1}\n    environment:\n      A: b\n"));
    }

    [Fact]
    public void A_merged_image_is_overridden_on_the_service_itself()
    {
        var compose = Compose("  cache:\n    <<: *base\n".Replace("*base", "{image: 'redis:7'}"));
        var plan = ImagePinning.Plan(compose, Factory, "app");
        var pinned = Encoding.UTF8.GetString(ImagePinning.Apply(compose, plan,
            new Dictionary<ImageReference, Digest> { [ImageReference.Parse("redis:7")] = D1 }));
        Assert.Contains($"image: docker.io/library/redis@{D1}", pinned);
    }
}
