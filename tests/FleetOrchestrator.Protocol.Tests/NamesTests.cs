namespace FleetOrchestrator.Protocol.Tests;

public sealed class NamesTests
{
    private static readonly IReadOnlyDictionary<string, NameRule> Rules = new Dictionary<string, NameRule>
    {
        ["device"] = Names.Device, ["app"] = Names.App, ["tag"] = Names.Tag, ["hardware"] = Names.HardwareId,
        ["group"] = Names.Group, ["wave"] = Names.Wave,
    };

    public static TheoryData<string, string, bool> Table() => new()
    {
        // rule, name, allowed
        { "device", "edge-01", true },
        { "device", "0", true },
        { "device", new string('d', 63), true },
        { "device", new string('d', 64), false },
        { "device", "Edge-01", false },
        { "device", "-edge", false },
        { "device", "edge_01", false },
        { "device", "edge.01", false },
        { "device", "", false },
        { "app", "web", true },
        { "app", "hello_world-2", true },
        { "app", new string('a', 63), true },
        { "app", new string('a', 64), false },
        { "app", "web.v2", false }, // compose v2 refuses the dot in a project name, v1 drops it
        { "app", "Web", false },
        { "app", "_web", false },
        { "app", "../web", false },
        { "tag", "main", true },
        { "tag", "Release_1.2-rc", true },
        { "tag", new string('t', 64), true },
        { "tag", new string('t', 65), false },
        { "tag", ".hidden", false },
        { "tag", "bad:tag", false },
        { "tag", "bad tag", false },
        { "hardware", "raspberrypi4-64", true },
        { "hardware", "arm/v7", false },
        { "group", "Field.A", true },
        { "group", "../x", false },
        { "wave", "w1.canary_2-b", true },
        { "wave", new string('w', 64), true },
        { "wave", new string('w', 65), false },
        { "wave", "W1", false },
        { "wave", "../x", false },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_rule_allows_exactly_its_names_and_refuses_the_rest_naming_the_rule(string rule, string name, bool allowed)
    {
        var names = Rules[rule];
        Assert.Equal(allowed, names.IsMatch(name));
        Assert.Equal(allowed ? null : $"invalid {names.Kind} \"{name}\": use {names.Description}", names.Problem(name));
    }

    [Fact]
    public void A_refusal_says_where_the_name_was_found_and_shortens_a_long_one()
    {
        Assert.Equal("invalid app name \"web.v2\" in the app selection: use 1-63 of a-z 0-9 _ - starting with a letter or digit (a docker compose project name)",
            Names.App.Problem("web.v2", "in the app selection"));
        Assert.Equal($"invalid device name \"{new string('d', 80)}…\": use 1-63 of a-z 0-9 - starting with a letter or digit", Names.Device.Problem(new string('d', 200)));
        Assert.Equal("invalid tag \"\": use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit", Names.Tag.Problem(null));
    }
}
