using System.Security.Cryptography;
using System.Text;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Tests.MetadataTests;

public class DelegationPathTests
{
    [Theory]
    [InlineData("apps/*", "apps/web-1", true)]
    [InlineData("apps/*", "apps/web/1", false)]
    [InlineData("apps/*", "apps", false)]
    [InlineData("*", "web-1", true)]
    [InlineData("*", "a/b", false)]
    [InlineData("*/*", "a/b", true)]
    [InlineData("web-?", "web-1", true)]
    [InlineData("web-?", "web-12", false)]
    [InlineData("web-[0-9]*", "web-7x", true)]
    [InlineData("web-[!0-9]", "web-7", false)]
    [InlineData("web-[!0-9]", "web-x", true)]
    [InlineData("*.tgz", "app.tar.tgz", true)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "axxbyy", false)]
    [InlineData("file[", "file[", true)]
    [InlineData("", "", true)]
    [InlineData("exact", "exactly", false)]
    public void Path_patterns(string pattern, string path, bool matches)
    {
        var role = new DelegatedRole("r", [], 1, false, [pattern], null);
        Assert.Equal(matches, role.MatchesTarget(path));
    }

    [Fact]
    public void Hash_prefixes_match_the_sha256_of_the_path()
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("apps/web-1")));
        Assert.True(new DelegatedRole("r", [], 1, false, null, ["ff", hash[..3]]).MatchesTarget("apps/web-1"));
        var other = hash[0] == '0' ? "1" : "0";
        Assert.False(new DelegatedRole("r", [], 1, false, null, [other]).MatchesTarget("apps/web-1"));
    }
}
