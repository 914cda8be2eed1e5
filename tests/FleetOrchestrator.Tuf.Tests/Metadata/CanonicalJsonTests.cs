using System.Text;
using System.Text.Json.Nodes;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Tests.MetadataTests;

public class CanonicalJsonTests
{
    private static string Canonical(string json) => Encoding.UTF8.GetString(CanonicalJson.Serialize(CanonicalJson.Parse(Encoding.UTF8.GetBytes(json))));

    [Fact]
    public void Matches_securesystemslib_byte_for_byte()
    {
        // Pretty-printed, escaped input; the expected bytes are written by hand from securesystemslib's
        // encode_canonical: keys by code point (U+FFFF sorts before U+1F600 although its UTF-16 form is larger),
        // only '"' and '\' escaped, control chars and non-ASCII as raw UTF-8, -0 read as the integer 0.
        const string input = "{\n  \"\\ud83d\\ude00\": 1,\n  \"\\uffff\": 2,\n  \"b\": -12,\n  \"a\": \"x\\\"y\\\\z\\n\\u00e9\\t\",\n  \"\\u00e9\": [true, false, null, -0, {}, []]\n}";
        var expected = new List<byte>();
        expected.AddRange("{\"a\":\"x\\\"y\\\\z"u8.ToArray());
        expected.Add(0x0a);
        expected.AddRange([0xc3, 0xa9, 0x09]);
        expected.AddRange("\",\"b\":-12,\""u8.ToArray());
        expected.AddRange([0xc3, 0xa9]);
        expected.AddRange("\":[true,false,null,0,{},[]],\""u8.ToArray());
        expected.AddRange([0xef, 0xbf, 0xbf]);
        expected.AddRange("\":2,\""u8.ToArray());
        expected.AddRange([0xf0, 0x9f, 0x98, 0x80]);
        expected.AddRange("\":1}"u8.ToArray());

        Assert.Equal(expected.ToArray(), CanonicalJson.Serialize(CanonicalJson.Parse(Encoding.UTF8.GetBytes(input))));
    }

    [Theory]
    [InlineData("{\"a\":[1,-2,true,false,null,{}],\"b\":{\"c\":\"x\\\"y\\\\z\"},\"é\":\"ü\"}", true)]
    [InlineData("{}", true)]
    [InlineData("{\"a\":1,\"ab\":2,\"b\":3}", true)]
    [InlineData("{\"a\": 1}", false)]              // whitespace after ':'
    [InlineData("{\"a\":1 }", false)]              // before '}'
    [InlineData("{\"a\":1} ", false)]              // trailing
    [InlineData("[1, 2]", false)]                   // after ','
    [InlineData("{\"b\":1,\"a\":2}", false)]      // unsorted
    [InlineData("{\"ab\":1,\"a\":2}", false)]     // a prefix sorts first
    [InlineData("{\"a\":1,\"a\":2}", false)]      // duplicate key
    [InlineData("{\"a\":{\"z\":1},\"b\":{\"a\":1}}", true)] // each object has its own order
    [InlineData("\"a\\/b\"", false)]              // escapes other than \" and \\
    [InlineData("\"\\u0041\"", false)]
    [InlineData("{\"\\u0061\":1}", false)]        // escaped key
    [InlineData("1.5", false)]
    [InlineData("1e3", false)]
    [InlineData("-0", false)]
    public void Canonical_text_is_recognised_in_place(string text, bool canonical)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.Equal(canonical, CanonicalJson.IsCanonical(bytes));
        // Whatever the answer, the canonical form of a parse agrees with it (when there is one).
        if (canonical) Assert.Equal(text, Canonical(text));
    }

    [Theory]
    [InlineData("{\"b\":1,\"a\":2,\"B\":3,\"\":4}", "{\"\":4,\"B\":3,\"a\":2,\"b\":1}")]
    [InlineData("{\"ab\":1,\"a\":2}", "{\"a\":2,\"ab\":1}")]
    [InlineData("[1, -1, 0, 12345678901234567890]", "[1,-1,0,12345678901234567890]")]
    [InlineData("\"\\u0001\\/\"", "\"\u0001/\"")]
    [InlineData("{\"\\ud800\\udc00\":1,\"\\ue000\":2}", "{\"\ue000\":2,\"\U00010000\":1}")]
    public void Canonical_forms(string input, string expected) => Assert.Equal(expected, Canonical(input));

    [Theory]
    [InlineData("{\"a\":1.5}", "integers only, found the number 1.5 at $.a")]
    [InlineData("[1e3]", "integers only, found the number 1e3 at $[0]")]
    [InlineData("{\"a\":1,\"a\":2}", "duplicate key \"a\" in the object at $")]
    [InlineData("[{\"b\":{\"a\":1,\"a\":2}}]", "duplicate key \"a\" in the object at $[0].b")]
    [InlineData("{\"a\":1,}", "invalid JSON")]
    [InlineData("{\"a\":1} // c", "invalid JSON")]
    [InlineData("null", "the JSON literal null")]
    public void Strict_parse_rejections(string input, string message)
    {
        var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse(Encoding.UTF8.GetBytes(input)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Duplicate_keys_are_named_in_the_error()
    {
        var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse("{\"x\":{\"k\":1,\"k\":2}}"u8));
        Assert.Contains("k", e.Message);
    }

    [Fact]
    public void Invalid_utf8_is_rejected_with_its_offset()
    {
        byte[] input = [.. "{\"a\":\""u8.ToArray(), 0xc3, 0x28, .. "\"}"u8.ToArray()];
        var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse(input));
        Assert.Contains("invalid UTF-8 at byte offset 6", e.Message);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_rejected()
    {
        var deep = new string('[', 70) + new string(']', 70);
        Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse(Encoding.ASCII.GetBytes(deep)));
        Assert.NotNull(CanonicalJson.Parse(Encoding.ASCII.GetBytes(deep), maxDepth: 80));
    }

    [Fact]
    public void Serializing_built_nodes_refuses_floats_and_lone_surrogates()
    {
        Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Serialize(new JsonObject { ["f"] = 0.5 }));
        Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Serialize(new JsonObject { ["s"] = "\ud800" }));
        Assert.Equal("{\"n\":7}", Encoding.UTF8.GetString(CanonicalJson.Serialize(new JsonObject { ["n"] = 7L })));
    }

    [Fact]
    public void Canonical_output_with_raw_control_characters_parses_back()
    {
        var node = new JsonObject { ["pem"] = "-----BEGIN PUBLIC KEY-----\nAB\"C\\\n-----END PUBLIC KEY-----\n", ["t"] = "\u0001" };
        var canonical = CanonicalJson.Serialize(node);
        Assert.Contains((byte)'\n', canonical);
        Assert.Equal(canonical, CanonicalJson.Serialize(CanonicalJson.Parse(canonical)));
        // Outside strings a raw control character other than whitespace stays an error.
        Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse("{\"a\":\u00011}"u8));
    }

    [Fact]
    public void Write_to_stream_equals_serialize()
    {
        var node = CanonicalJson.Parse("{\"z\":[1,2],\"a\":\"\u00fc\"}"u8);
        using var stream = new MemoryStream();
        CanonicalJson.Write(stream, node);
        Assert.Equal(CanonicalJson.Serialize(node), stream.ToArray());
    }
}
