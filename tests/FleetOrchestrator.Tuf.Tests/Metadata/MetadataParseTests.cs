using System.Text;
using System.Text.Json.Nodes;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Tests.MetadataTests;

public class MetadataParseTests
{
    private const string TargetsSigned = """
        {"_type":"targets","spec_version":"1.0.31","version":3,"expires":"2030-01-02T03:04:05Z","x-extra":{"keep":[1,2]},
         "targets":{"app-7":{"length":12,"hashes":{"sha256":"ab"},"custom":{"version":"7","tags":["prod"]},"x-t":true}},
         "delegations":{"keys":{},"x-d":1,"roles":[{"name":"wave-1","keyids":[],"threshold":1,"terminating":true,"paths":["apps/*"],"x-r":"r"}]}}
        """;

    private static byte[] Document(string signed, string signatures = "[]") =>
        Encoding.UTF8.GetBytes($"{{\"signatures\":{signatures},\"signed\":{signed}}}");

    private static string Mutate(string signed, Action<JsonObject> change)
    {
        var node = JsonNode.Parse(signed)!.AsObject();
        change(node);
        return node.ToJsonString();
    }

    [Fact]
    public void Canonical_metadata_is_verified_over_its_own_bytes_and_hashes_read_on_demand()
    {
        using var key = KeyPair.Generate();
        var file = new TargetFile(3, new Dictionary<string, string> { [Hashes.Sha256] = new('a', 64), [Hashes.Sha512] = new('b', 128) });
        var metadata = new TargetsMetadata { Version = 2, Expires = DateTimeOffset.UtcNow.AddDays(1), Targets = new Dictionary<string, TargetFile> { ["app-1"] = file } };
        var raw = SignedMetadata<TargetsMetadata>.Sign(metadata, [key]).ToBytes();

        var parsed = SignedMetadata<TargetsMetadata>.Parse(raw);

        // The signed bytes are the received slice itself, not a re-serialised copy.
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(parsed.SignedBytes, out var segment));
        Assert.Same(raw, segment.Array);
        Assert.Equal(1, ThresholdVerifier.Verify(Role.Targets, new RoleKeys([key.KeyId], 1), new Dictionary<string, Key> { [key.KeyId] = key.PublicKey }, parsed));
        var hashes = parsed.Signed.Targets["app-1"].Hashes;
        Assert.Equal(2, hashes.Count);
        Assert.Equal(new string('b', 128), hashes[Hashes.Sha512]);
        Assert.False(hashes.ContainsKey("md5"));
        Assert.Equal([Hashes.Sha256, Hashes.Sha512], hashes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(file.Hashes.OrderBy(h => h.Key), hashes.OrderBy(h => h.Key));
    }

    [Fact]
    public void A_hash_that_is_not_a_string_is_refused_at_parse_time()
    {
        var signed = Mutate(TargetsSigned, o => o["targets"]!["app-7"]!["hashes"] = new JsonObject { ["sha256"] = 5 });
        var error = Assert.Throws<MetadataFormatException>(() => SignedMetadata<TargetsMetadata>.Parse(Document(signed)));
        Assert.Contains("signed.targets.app-7.hashes.sha256: expected a string, found number 5", error.Message);
    }

    [Fact]
    public void Targets_parse_and_keep_unknown_fields_on_round_trip()
    {
        var parsed = SignedMetadata<TargetsMetadata>.Parse(Document(TargetsSigned));
        var targets = parsed.Signed;
        Assert.Equal(3, targets.Version);
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero), targets.Expires);
        Assert.Equal(12, targets.Targets["app-7"].Length);
        Assert.Equal("7", (string?)targets.Targets["app-7"].Custom!["version"]);
        Assert.Equal("wave-1", targets.Delegations!.Roles[0].Name);

        // The typed model written back canonicalises to exactly the bytes the signatures covered.
        Assert.Equal(parsed.SignedBytes.ToArray(), CanonicalJson.Serialize(targets.ToJson()));
        Assert.Equal(CanonicalJson.Serialize(JsonNode.Parse(TargetsSigned)), parsed.SignedBytes.ToArray());
    }

    [Fact]
    public void Raw_bytes_are_kept_as_received_even_when_not_canonical()
    {
        var pretty = Encoding.UTF8.GetBytes("{\n  \"signed\": " + TargetsSigned + ",\n  \"signatures\": []\n}\n");
        var parsed = SignedMetadata<TargetsMetadata>.Parse(pretty);
        Assert.Equal(pretty, parsed.ToBytes());
    }

    [Theory]
    [InlineData(KeyScheme.Ed25519)]
    [InlineData(KeyScheme.EcdsaP256)]
    public void Built_metadata_is_signed_over_canonical_signed_and_reparses(string scheme)
    {
        using var key = KeyPair.Generate(scheme);
        var root = new RootMetadata
        {
            Version = 1, Expires = new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero),
            Keys = new Dictionary<string, Key> { [key.KeyId] = key.PublicKey },
            Roles = Role.TopLevel.ToDictionary(r => r, _ => new RoleKeys([key.KeyId], 1)),
        };
        var signed = SignedMetadata<RootMetadata>.Sign(root, [key]);
        // The file is valid JSON for any parser, even with a PEM key's newlines inside (canonical JSON alone is not).
        using (System.Text.Json.JsonDocument.Parse(signed.ToBytes())) { }
        var reparsed = SignedMetadata<RootMetadata>.Parse(signed.ToBytes());
        Assert.Equal(signed.SignedBytes.ToArray(), reparsed.SignedBytes.ToArray());
        Assert.True(reparsed.Signed.ConsistentSnapshot);
        Assert.Equal(key.KeyId, reparsed.Signed.Keys.Single().Value.KeyId);
        Assert.Equal(1, ThresholdVerifier.Verify(Role.Root, reparsed.Signed.RoleKeysOf(Role.Root), reparsed.Signed.Keys, reparsed));
        Assert.Contains("\"expires\":\"2031-05-06T07:08:09Z\"", Encoding.UTF8.GetString(signed.SignedBytes.Span));
    }

    public static TheoryData<string, string> Rejections => new()
    {
        { Mutate(TargetsSigned, o => o["_type"] = "snapshot"), "signed._type: expected \"targets\" metadata for role targets, found \"snapshot\"" },
        { Mutate(TargetsSigned, o => o["spec_version"] = "2.0.0"), "unsupported spec_version \"2.0.0\"" },
        { Mutate(TargetsSigned, o => o["spec_version"] = "1.0.x"), "unsupported spec_version \"1.0.x\"" },
        { Mutate(TargetsSigned, o => o["version"] = 0), "signed.version: must be between 1 and" },
        { Mutate(TargetsSigned, o => o["version"] = "3"), "signed.version: expected an integer, found string \"3\"" },
        { Mutate(TargetsSigned, o => o["expires"] = "2030-01-02T03:04:05.5Z"), "signed.expires: expected a UTC time as YYYY-MM-DDTHH:MM:SSZ, found \"2030-01-02T03:04:05.5Z\"" },
        { Mutate(TargetsSigned, o => o["expires"] = "2030-01-02T03:04:05+00:00"), "found \"2030-01-02T03:04:05+00:00\"" },
        { Mutate(TargetsSigned, o => o["expires"] = "2030-02-30T03:04:05Z"), "found \"2030-02-30T03:04:05Z\"" },
        { Mutate(TargetsSigned, o => o.Remove("targets")), "signed.targets: required field is missing" },
        { Mutate(TargetsSigned, o => o["targets"]!["app-7"]!["length"] = -1), "signed.targets.app-7.length: must be between 0 and" },
        { Mutate(TargetsSigned, o => o["targets"]!["app-7"]!["hashes"] = new JsonObject()), "signed.targets.app-7.hashes: must not be empty" },
        { Mutate(TargetsSigned, o => o["delegations"]!["roles"]![0]!["path_hash_prefixes"] = new JsonArray("ab")), "must have exactly one of \"paths\" and \"path_hash_prefixes\"" },
        { Mutate(TargetsSigned, o => o["delegations"]!["roles"]![0]!["keyids"] = new JsonArray("a", "a")), "keyids[1]: duplicate entry \"a\"" },
        { Mutate(TargetsSigned, o => o["delegations"]!["roles"]![0]!["name"] = "root"), "cannot be named like top-level role \"root\"" },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void Strict_parse_names_the_role_the_field_and_the_value(string signed, string message)
    {
        var e = Assert.Throws<MetadataFormatException>(() => SignedMetadata<TargetsMetadata>.Parse(Document(signed)));
        Assert.Contains(message, e.Message);
        Assert.Equal(Role.Targets, e.Role);
        Assert.StartsWith("targets: ", e.Message);
    }

    [Fact]
    public void Document_level_rejections()
    {
        Assert.Contains("keyid ab signs more than once", Assert.Throws<MetadataFormatException>(() =>
            SignedMetadata<TargetsMetadata>.Parse(Document(TargetsSigned, "[{\"keyid\":\"ab\",\"sig\":\"00\"},{\"keyid\":\"ab\",\"sig\":\"01\"}]"))).Message);
        Assert.Contains("$.signed: required field is missing", Assert.Throws<MetadataFormatException>(() =>
            SignedMetadata<TargetsMetadata>.Parse("{\"signatures\":[]}"u8)).Message);
        Assert.Contains("signatures[0].sig: required field is missing", Assert.Throws<MetadataFormatException>(() =>
            SignedMetadata<TargetsMetadata>.Parse(Document(TargetsSigned, "[{\"keyid\":\"ab\"}]"))).Message);
        var wrongType = Assert.Throws<MetadataFormatException>(() => SignedMetadata<SnapshotMetadata>.Parse(Document(TargetsSigned)));
        Assert.Contains("expected \"snapshot\" metadata for role snapshot, found \"targets\"", wrongType.Message);
        // Duplicate keys: inside signed (found while canonicalising, sorted or not), at the top level, in signatures.
        foreach (var duplicated in new[]
        {
            Document(TargetsSigned.Replace("\"x-extra\":", "\"version\":3,\"x-extra\":")),
            Document(TargetsSigned.Replace("\"hashes\":{\"sha256\":\"ab\"}", "\"hashes\":{\"sha256\":\"ab\",\"sha256\":\"cd\"}")),
            Encoding.UTF8.GetBytes($"{{\"signatures\":[],\"signed\":{TargetsSigned},\"signed\":{TargetsSigned}}}"),
            Document(TargetsSigned, "[{\"keyid\":\"ab\",\"keyid\":\"cd\",\"sig\":\"00\"}]"),
        })
        {
            var duplicate = Assert.Throws<MetadataFormatException>(() => SignedMetadata<TargetsMetadata>.Parse(duplicated));
            Assert.Contains("duplicate key", duplicate.Message);
        }
        var version = Assert.Throws<MetadataFormatException>(() => SignedMetadata<TargetsMetadata>.Parse(Document(TargetsSigned.Replace("\"version\":3", "\"version\":3.0"))));
        Assert.Contains("signed.version: expected an integer, found number 3.0", version.Message);
        var customFloat = Assert.Throws<MetadataFormatException>(() => SignedMetadata<TargetsMetadata>.Parse(Document(TargetsSigned.Replace("\"keep\":[1,2]", "\"keep\":[1,2.5]"))));
        Assert.Equal("json", customFloat.Check);
        Assert.Contains("integers only, found the number 2.5", customFloat.Message);
        var outsideSigned = Assert.Throws<MetadataFormatException>(() => SignedMetadata<TargetsMetadata>.Parse(Encoding.UTF8.GetBytes($"{{\"x\":1e2,\"signatures\":[],\"signed\":{TargetsSigned}}}")));
        Assert.Contains("found the number 1e2 at $.x", outsideSigned.Message);
    }

    [Fact]
    public void Root_requires_exactly_the_top_level_roles()
    {
        const string root = """{"_type":"root","spec_version":"1.0","version":1,"expires":"2030-01-01T00:00:00Z","keys":{},"roles":{"root":{"keyids":[],"threshold":1},"targets":{"keyids":[],"threshold":1},"snapshot":{"keyids":[],"threshold":1}}}""";
        Assert.Contains("missing role(s) timestamp", Assert.Throws<MetadataFormatException>(() => SignedMetadata<RootMetadata>.Parse(Document(root))).Message);
        var extra = root.Replace("\"snapshot\":", "\"timestamp\":{\"keyids\":[],\"threshold\":1},\"mirror\":{\"keyids\":[],\"threshold\":1},\"snapshot\":");
        Assert.Contains("unexpected role \"mirror\"", Assert.Throws<MetadataFormatException>(() => SignedMetadata<RootMetadata>.Parse(Document(extra))).Message);
        var zero = root.Replace("\"snapshot\":{\"keyids\":[],\"threshold\":1}", "\"snapshot\":{\"keyids\":[],\"threshold\":0},\"timestamp\":{\"keyids\":[],\"threshold\":1}");
        Assert.Contains("signed.roles.snapshot.threshold: must be between 1", Assert.Throws<MetadataFormatException>(() => SignedMetadata<RootMetadata>.Parse(Document(zero))).Message);
    }

    [Fact]
    public void Snapshot_and_timestamp_meta()
    {
        const string snapshot = """{"_type":"snapshot","spec_version":"1.0.0","version":4,"expires":"2030-01-01T00:00:00Z","meta":{"targets.json":{"version":4,"length":10,"hashes":{"sha256":"aa"}},"wave-1.json":{"version":2}}}""";
        var parsed = SignedMetadata<SnapshotMetadata>.Parse(Document(snapshot)).Signed;
        Assert.Equal(new MetaFile(2), parsed.Meta["wave-1.json"] with { UnknownFields = null });
        Assert.Equal(10, parsed.Meta["targets.json"].Length);

        const string timestamp = """{"_type":"timestamp","spec_version":"1.0.0","version":9,"expires":"2030-01-01T00:00:00Z","meta":{"snapshot.json":{"version":4}}}""";
        Assert.Equal(4, SignedMetadata<TimestampMetadata>.Parse(Document(timestamp)).Signed.SnapshotMeta.Version);
        var two = timestamp.Replace("}}}", "},\"targets.json\":{\"version\":1}}}");
        Assert.Contains("must hold exactly \"snapshot.json\", found [snapshot.json, targets.json]",
            Assert.Throws<MetadataFormatException>(() => SignedMetadata<TimestampMetadata>.Parse(Document(two))).Message);
    }
}
