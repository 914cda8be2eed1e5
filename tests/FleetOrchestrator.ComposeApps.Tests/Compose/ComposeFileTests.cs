using System.Text;
using FleetOrchestrator.ComposeApps.Compose;

namespace FleetOrchestrator.ComposeApps.Tests.Compose;

public class ComposeFileTests
{
    private static ComposeFile Parse(string yaml) => ComposeFile.Parse(Encoding.UTF8.GetBytes(yaml), "app/docker-compose.yml");

    private static string Error(string yaml) => Assert.Throws<ComposeFileException>(() => Parse(yaml)).Message;

    [Fact]
    public void Services_are_read_in_file_order_with_their_images()
    {
        var compose = Parse("services:\n  web:\n    image: nginx:alpine\n  app:\n    image: a/b:1\n");
        Assert.Equal(["web", "app"], compose.Services.Select(s => s.Name));
        Assert.Equal(["nginx:alpine", "a/b:1"], compose.Services.Select(s => s.Image));
    }

    [Fact]
    public void Image_is_found_through_a_merge_key()
    {
        var compose = Parse("x-base: &base\n  image: redis:7\nservices:\n  cache:\n    <<: *base\n");
        Assert.Equal("redis:7", compose.Services[0].Image);
    }

    [Theory]
    [InlineData("services: [", "is not valid YAML: line 2, column 1: While parsing a node")]
    [InlineData("- a\n- b\n", "must be a mapping at the top level")]
    [InlineData("version: '3'\n", "has no 'services' mapping")]
    [InlineData("services: {}\n", "defines no services")]
    [InlineData("services:\n  web: nginx\n", "service 'web' must be a mapping")]
    [InlineData("services:\n  a:\n    image: x:1\n---\nservices:\n  b:\n    image: y:1\n", "holds 2 YAML documents")]
    public void Malformed_files_are_refused_with_what_is_wrong(string yaml, string expected)
    {
        var message = Error(yaml);
        Assert.Contains("app/docker-compose.yml", message);
        Assert.True(message.Contains(expected), message);
    }

    [Fact]
    public void An_alias_bomb_is_refused_without_expanding_it()
    {
        var yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 9; i++)
            yaml.Append($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        yaml.Append("services:\n  web:\n    image: x:1\n    command: *a8\n");
        Assert.Contains("alias bomb", Error(yaml.ToString()));
    }

    [Fact]
    public void Deep_nesting_is_refused_before_the_tree_is_built()
    {
        var yaml = "services:\n  web:\n    image: x:1\n    x: " + new string('[', 10_000) + new string(']', 10_000) + "\n";
        Assert.Contains("nests deeper than 64 levels", Error(yaml));
    }

    [Fact]
    public void A_file_over_one_mebibyte_is_refused_before_parsing()
    {
        var yaml = "services:\n  web:\n    image: x:1\n# " + new string('x', (int)ComposeFile.MaxBytes) + "\n";
        Assert.Contains("the limit is 1048576 bytes", Error(yaml));
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        var ex = Assert.Throws<ComposeFileException>(() => ComposeFile.Parse([0x73, 0x3a, 0xff, 0xfe], "f.yml"));
        Assert.Contains("not valid UTF-8", ex.Message);
    }

    [Fact]
    public void A_symlinked_compose_file_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("compose-link-");
        try
        {
            var link = Path.Combine(dir.FullName, "docker-compose.yml");
            File.CreateSymbolicLink(link, "/etc/hostname");
            Assert.Contains("is a symbolic link", Assert.Throws<ComposeFileException>(() => ComposeFile.Load(link)).Message);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Writing_back_keeps_keys_order_and_quoting()
    {
        const string yaml = "version: \"3\"\nservices:\n  web:\n    image: nginx:alpine\n    ports:\n    - 80:80\n    environment:\n      A: \"quoted value\"\nx-extra: 1\n";
        var text = Encoding.UTF8.GetString(Parse(yaml).ToBytes());
        Assert.Equal(yaml, text);
    }
}
