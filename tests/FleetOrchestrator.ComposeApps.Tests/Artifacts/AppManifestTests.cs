using System.Text;
using System.Text.Json.Nodes;
using FleetOrchestrator.ComposeApps.Artifacts;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.ComposeApps.Tests.Artifacts;

public class AppManifestTests
{
    private static readonly AppManifest Sample = new(Digest.Sha256("bundle"u8), 1234, Digest.Sha256("index"u8), 56);

    [Fact]
    public void The_manifest_has_the_exact_reference_shape()
    {
        var json = JsonNode.Parse(Sample.ToJsonBytes())!;
        Assert.Equal(2, json["schemaVersion"]!.GetValue<int>());
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", json["mediaType"]!.GetValue<string>());
        Assert.Equal("application/vnd.fio+compose-app", json["artifactType"]!.GetValue<string>());
        Assert.Equal("application/vnd.oci.empty.v1+json", json["config"]!["mediaType"]!.GetValue<string>());
        Assert.Equal("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", json["config"]!["digest"]!.GetValue<string>());
        Assert.Equal(2, json["config"]!["size"]!.GetValue<int>());
        var layer = json["layers"]![0]!;
        Assert.Equal("application/octet-stream", layer["mediaType"]!.GetValue<string>());
        Assert.Equal(Sample.BundleDigest.ToString(), layer["digest"]!.GetValue<string>());
        Assert.Equal(1234, layer["size"]!.GetValue<long>());
        Assert.Equal(Sample.IndexDigest.ToString(), layer["annotations"]!["org.foundries.app.bundle.index.digest"]!.GetValue<string>());
        Assert.Equal("56", layer["annotations"]!["org.foundries.app.bundle.index.size"]!.GetValue<string>());
        Assert.Equal("v1", json["annotations"]!["compose-app"]!.GetValue<string>());
        Assert.Equal("app-42", AppManifest.VersionTag(42));
    }

    [Fact]
    public void Parse_reads_back_what_was_written() => Assert.Equal(Sample, AppManifest.Parse(Sample.ToJsonBytes()));

    [Theory]
    [InlineData("\"compose-app\":\"v1\"", "\"compose-app\":\"v2\"", "lacks the annotation compose-app: v1")]
    [InlineData("image.manifest.v1+json\",\"artifactType", "image.index.v1+json\",\"artifactType", "mediaType is 'application/vnd.oci.image.index.v1+json'")]
    [InlineData("\"size\":1234", "\"size\":\"1234\"", "layers[0].size is not a size")]
    public void Tampered_manifests_are_refused(string from, string to, string expected)
    {
        var text = Encoding.UTF8.GetString(Sample.ToJsonBytes()).Replace(from, to);
        Assert.Contains(expected, Assert.Throws<AppManifestException>(() => AppManifest.Parse(Encoding.UTF8.GetBytes(text))).Message);
    }

    [Fact]
    public void A_manifest_over_50_KiB_is_refused() =>
        Assert.Contains("the limit is 51200", Assert.Throws<AppManifestException>(() => AppManifest.Parse(new byte[AppManifest.MaxBytes + 1])).Message);
}
