using System.Text;
using FleetOrchestrator.ComposeApps.Bundles;

namespace FleetOrchestrator.ComposeApps.Tests.Bundles;

public class BundleIndexTests
{
    private static readonly string DigestA = "sha256:" + new string('a', 64);
    private static readonly string DigestB = "sha256:" + new string('0', 63) + "1";

    [Fact]
    public void Json_is_sorted_compact_and_round_trips()
    {
        var index = BundleIndex.Create([new("z.txt", DigestA), new("a/b.txt", DigestB), new("a.txt", DigestA)]);

        var json = Encoding.UTF8.GetString(index.ToJsonBytes());

        Assert.Equal($"{{\"a.txt\":\"{DigestA}\",\"a/b.txt\":\"{DigestB}\",\"z.txt\":\"{DigestA}\"}}", json);
        Assert.Equal(index.Files, BundleIndex.Parse(index.ToJsonBytes()).Files);
    }

    [Fact]
    public void Quotes_backslashes_and_non_ascii_are_written_canonically()
    {
        var index = BundleIndex.Create([new("we\"ird\\name-été.txt", DigestA)]);

        var json = index.ToJsonBytes();

        Assert.Equal(Encoding.UTF8.GetBytes($"{{\"we\\\"ird\\\\name-été.txt\":\"{DigestA}\"}}"), json);
        Assert.Equal("we\"ird\\name-été.txt", BundleIndex.Parse(json).Files.Keys.Single());
    }

    [Fact]
    public void Whitespace_in_the_blob_is_accepted()
    {
        var index = BundleIndex.Parse(Encoding.UTF8.GetBytes($"{{\n  \"a\" : \"{DigestA}\"\n}}\n"));

        Assert.Equal(DigestA, index.Files["a"]);
    }

    [Theory]
    [InlineData("[]", "must be an object")]
    [InlineData("\"x\"", "must be an object")]
    [InlineData("{\"a\": 1}", "expected a digest string")]
    [InlineData("{\"a\": {}}", "expected a digest string")]
    [InlineData("{\"a\": \"sha256:abc\"}", "64 lowercase hex")]
    [InlineData("{\"a\": \"sha512:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "64 lowercase hex")]
    [InlineData("{\"a\": \"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "64 lowercase hex")]
    [InlineData("{\"/etc/passwd\": \"D\"}", "absolute")]
    [InlineData("{\"a/../../b\": \"D\"}", "\"..\" component")]
    [InlineData("{\"a//b\": \"D\"}", "empty component")]
    [InlineData("{\"./a\": \"D\"}", "\".\" component")]
    [InlineData("{\"\": \"D\"}", "empty")]
    [InlineData("{\"a\\nb\": \"D\"}", "control character")]
    [InlineData("{\"a\": \"D\", \"a\": \"D\"}", "twice")]
    [InlineData("{\"a\": \"D\"} {}", "not valid JSON")]
    [InlineData("{\"a\": \"D\"", "not valid JSON")]
    [InlineData("", "not valid JSON")]
    [InlineData("{\"a\": \"D\",}", "not valid JSON")]
    public void Invalid_blobs_are_rejected_precisely(string json, string reason)
    {
        var bytes = Encoding.UTF8.GetBytes(json.Replace("\"D\"", $"\"{DigestA}\"", StringComparison.Ordinal));

        var error = Assert.Throws<BundleException>(() => BundleIndex.Parse(bytes));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Oversized_blob_is_rejected_before_parsing()
    {
        var error = Assert.Throws<BundleException>(() => BundleIndex.Parse(new byte[101], new BundleLimits { MaxIndexBytes = 100 }));

        Assert.Contains("101 bytes", error.Message);
        Assert.Contains("100 bytes", error.Message);
    }

    [Fact]
    public void Index_with_more_files_than_the_entry_limit_is_rejected()
    {
        var index = BundleIndex.Create(Enumerable.Range(0, 4).Select(i => new KeyValuePair<string, string>($"f{i}", DigestA)));

        var error = Assert.Throws<BundleException>(() => BundleIndex.Parse(index.ToJsonBytes(), new BundleLimits { MaxEntries = 3 }));

        Assert.Contains("more than 3 files", error.Message);
        Assert.Equal(4, BundleIndex.Parse(index.ToJsonBytes(), new BundleLimits { MaxEntries = 4 }).Files.Count);
    }
}
