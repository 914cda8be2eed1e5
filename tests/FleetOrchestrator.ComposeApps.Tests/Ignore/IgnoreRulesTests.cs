using FleetOrchestrator.ComposeApps.Ignore;

namespace FleetOrchestrator.ComposeApps.Tests.Ignore;

public class IgnoreRulesTests
{
    // Rules are written one per line with '|' standing for a newline, to keep the table readable.
    [Theory]
    // Anchoring at the app root.
    [InlineData("*.txt", "a.txt", true)]
    [InlineData("*.txt", "sub/a.txt", false)]
    [InlineData("foo", "foo", true)]
    [InlineData("foo", "sub/foo", false)]
    [InlineData("foo", "foobar", false)]
    [InlineData("sub/*.txt", "sub/a.txt", true)]
    [InlineData("sub/*.txt", "sub/deeper/a.txt", false)]
    [InlineData("*/a.txt", "x/a.txt", true)]
    [InlineData("*/a.txt", "x/y/a.txt", false)]
    [InlineData("/foo", "foo", true)]
    [InlineData("/foo", "sub/foo", false)]
    [InlineData("./foo", "foo", true)]
    [InlineData("./sub/../foo", "foo", true)]
    [InlineData("sub//foo", "sub/foo", true)]
    [InlineData("foo", "./foo", true)]
    // "**" at the start, in the middle, at the end, and alone.
    [InlineData("**/foo", "foo", true)]
    [InlineData("**/foo", "a/foo", true)]
    [InlineData("**/foo", "a/b/c/foo", true)]
    [InlineData("**/foo", "a/barfoo", false)]
    [InlineData("**/*.go", "main.go", true)]
    [InlineData("**/*.go", "cmd/x/main.go", true)]
    [InlineData("**/*.go", "cmd/x/main.gox", false)]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("a/**/b", "a/x/b", true)]
    [InlineData("a/**/b", "a/x/y/z/b", true)]
    [InlineData("a/**/b", "a/x/bb", false)]
    [InlineData("a/**/b", "c/a/x/b", false)]
    [InlineData("a/**", "a/x", true)]
    [InlineData("a/**", "a/x/y/z", true)]
    [InlineData("a/**", "ab/x", false)]
    [InlineData("a/**", "a", false)]
    [InlineData("**|!docker-compose.yml", "anything/at/all", true)]
    [InlineData("**/|!docker-compose.yml", "top", true)]
    [InlineData("**/sub/**", "x/sub/y", true)]
    [InlineData("**/sub/**", "sub/y/z", true)]
    [InlineData("**/sub/**", "x/notsub/y", false)]
    [InlineData("a/**/b/*.txt", "a/q/r/b/n.txt", true)]
    [InlineData("a/**/b/*.txt", "a/q/r/b/c/n.txt", false)]
    // "?" and character classes never cross '/'.
    [InlineData("?.txt", "a.txt", true)]
    [InlineData("?.txt", "ab.txt", false)]
    [InlineData("a?c", "a/c", false)]
    [InlineData("[abc].txt", "b.txt", true)]
    [InlineData("[abc].txt", "d.txt", false)]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[a-c]x", "dx", false)]
    [InlineData("[^a-c]x", "dx", true)]
    [InlineData("[^a-c]x", "ax", false)]
    [InlineData("file[0-9][0-9]", "file42", true)]
    [InlineData("file[0-9][0-9]", "file4x", false)]
    // Escapes make special characters literal; "." is never a wildcard.
    [InlineData(@"star\*", "star*", true)]
    [InlineData(@"star\*", "starry", false)]
    [InlineData(@"q\?", "q?", true)]
    [InlineData(@"q\?", "qx", false)]
    [InlineData(@"\[x\]*", "[x]y", true)]
    [InlineData("a.b", "axb", false)]
    [InlineData("a+(b)", "a+(b)", true)]
    // A rule matching a directory excludes everything below it.
    [InlineData("node_modules", "node_modules/pkg/index.js", true)]
    [InlineData("build/", "build/out/app.bin", true)]
    [InlineData("build/", "build", true)]
    [InlineData("*/tmp", "x/tmp/a/b", true)]
    [InlineData("docs/*", "docs/a/b.md", true)]
    [InlineData("docs/*", "docs", false)]
    // "!" re-includes; the last matching rule wins.
    [InlineData("*.md|!README.md", "README.md", false)]
    [InlineData("*.md|!README.md", "CHANGES.md", true)]
    [InlineData("!README.md|*.md", "README.md", true)]
    [InlineData("docs|!docs/keep.md", "docs/keep.md", false)]
    [InlineData("docs|!docs/keep.md", "docs/other.md", true)]
    [InlineData("docs|!docs/keep.md", "docs", true)]
    [InlineData("docs|!docs/keep|docs/keep/secret", "docs/keep/a", false)]
    [InlineData("docs|!docs/keep|docs/keep/secret", "docs/keep/secret", true)]
    [InlineData("docs|!docs/keep|docs/keep/secret", "docs/keep/secret/x", true)]
    [InlineData("**|!src/**|!docker-compose.yml", "src/a/b.py", false)]
    [InlineData("**|!src/**|!docker-compose.yml", "Dockerfile", true)]
    [InlineData("*|!*.yml", "x.yml", false)]
    [InlineData("!keep|keep", "keep", true)]
    [InlineData("data|!data", "data/file", false)]
    [InlineData("data|!data/*.csv", "data/a.csv", false)]
    [InlineData("data|!data/*.csv", "data/a.json", true)]
    [InlineData("data|! data/*.csv", "data/a.csv", false)]
    // Comments, blank lines, surrounding space, CRLF.
    [InlineData("# *.txt", "a.txt", false)]
    [InlineData("#a.txt|a.txt", "a.txt", true)]
    [InlineData(" #a.txt", "#a.txt", true)]
    [InlineData("||   |  a.txt  |", "a.txt", true)]
    [InlineData("a.txt\r|b.txt\r", "b.txt", true)]
    [InlineData("a.txt\r|b.txt\r", "c.txt", false)]
    [InlineData("\uFEFFa.txt", "a.txt", true)]
    public void Matches_like_dockerignore(string rules, string path, bool excluded)
    {
        var parsed = IgnoreRules.Parse(rules.Replace('|', '\n'));

        Assert.Equal(excluded, parsed.IsExcluded(path));
    }

    [Fact]
    public void No_rules_exclude_nothing()
    {
        Assert.False(IgnoreRules.None.IsExcluded("anything"));
        Assert.False(IgnoreRules.Parse("").IsExcluded("anything"));
        Assert.False(IgnoreRules.Parse("# only a comment\n\n").IsExcluded("anything"));
    }

    [Fact]
    public void Patterns_are_cleaned_and_keep_their_order()
    {
        var rules = IgnoreRules.Parse("./a/../b/\n!/c//d\n  e  \n");

        Assert.Equal(["b", "!c/d", "e"], rules.Patterns);
        Assert.True(rules.HasReincludes);
        Assert.False(IgnoreRules.Parse("a\nb").HasReincludes);
    }

    [Theory]
    [InlineData("docker-compose.yml", 1)]
    [InlineData("# keep it\n*.yml", 2)]
    [InlineData("**", 1)]
    [InlineData("*\n!docker-compose.yml\na\ndocker-compose.*", 4)]
    [InlineData("./docker-compose.yml", 1)]
    [InlineData("docker-compose.y?l", 1)]
    public void Rule_discarding_the_compose_file_is_an_error_naming_the_line(string rules, int line)
    {
        var error = Assert.Throws<IgnoreRulesException>(() => IgnoreRules.Parse(rules));

        Assert.Contains($"line {line}", error.Message);
        Assert.Contains("docker-compose.yml", error.Message);
    }

    [Theory]
    [InlineData("*\n!docker-compose.yml")]
    [InlineData("sub/docker-compose.yml")]
    [InlineData("docker-compose.yaml")]
    public void Rules_keeping_the_compose_file_are_accepted(string rules)
    {
        Assert.False(IgnoreRules.Parse(rules).IsExcluded("docker-compose.yml"));
    }

    [Theory]
    [InlineData("ok\n[abc", 2, "not closed")]
    [InlineData("[]a]", 1, "malformed range")]
    [InlineData("[a-]", 1, "malformed range")]
    [InlineData("[-a]", 1, "malformed range")]
    [InlineData(@"trailing\", 1, "unfinished")]
    [InlineData("!", 1, "exclusion without a pattern")]
    [InlineData("a\n  !  ", 2, "exclusion without a pattern")]
    [InlineData("!/", 1, "exclusion without a pattern")]
    public void Malformed_patterns_are_rejected_naming_the_line(string rules, int line, string reason)
    {
        var error = Assert.Throws<IgnoreRulesException>(() => IgnoreRules.Parse(rules));

        Assert.Contains($"line {line}", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Oversized_content_is_rejected_with_its_size()
    {
        var content = string.Join('\n', Enumerable.Repeat(new string('a', 100), 700));

        var error = Assert.Throws<IgnoreRulesException>(() => IgnoreRules.Parse(content));

        Assert.Contains($"{content.Length} bytes", error.Message);
        Assert.Contains("65536", error.Message);
    }

    [Fact]
    public void Oversized_line_is_rejected_naming_it()
    {
        var content = "a\nb\n" + new string('x', IgnoreRules.MaxLineBytes + 1);

        var error = Assert.Throws<IgnoreRulesException>(() => IgnoreRules.Parse(content));

        Assert.Contains("line 3", error.Message);
        Assert.Contains($"{IgnoreRules.MaxLineBytes + 1} bytes", error.Message);
    }

    [Fact]
    public void Line_at_the_limit_is_accepted()
    {
        var rules = IgnoreRules.Parse(new string('x', IgnoreRules.MaxLineBytes));

        Assert.True(rules.IsExcluded(new string('x', IgnoreRules.MaxLineBytes)));
    }

    [Fact]
    public async Task LoadAsync_reads_the_rules_file_or_returns_none()
    {
        var folder = Directory.CreateTempSubdirectory("ignore-rules-");
        try
        {
            Assert.Same(IgnoreRules.None, await IgnoreRules.LoadAsync(folder.FullName));

            await File.WriteAllTextAsync(Path.Combine(folder.FullName, IgnoreRules.FileName), "Dockerfile\n*.py\n");
            var rules = await IgnoreRules.LoadAsync(folder.FullName);

            Assert.True(rules.IsExcluded("Dockerfile"));
            Assert.True(rules.IsExcluded("app.py"));
            Assert.False(rules.IsExcluded("docker-compose.yml"));

            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, IgnoreRules.FileName), new byte[IgnoreRules.MaxContentBytes + 1]);
            var error = await Assert.ThrowsAsync<IgnoreRulesException>(() => IgnoreRules.LoadAsync(folder.FullName));
            Assert.Contains($"{IgnoreRules.MaxContentBytes + 1} bytes", error.Message);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
