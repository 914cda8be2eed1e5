using System.Collections.Immutable;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Groups;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.ControlPlane.Tests.Groups;

public sealed class GroupsDecisionsTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);
    private static readonly DeviceConfig Prod = DeviceConfig.Of("prod", ["web"]);

    /// <summary>Groups "lab" (configured) and "field" (not).</summary>
    private static ImmutableDictionary<string, DeviceGroup> Groups() =>
        new IGroupEvent[] { new GroupCreated("lab", "bench devices", At), new GroupCreated("field", null, At), new GroupConfigured("lab", Prod, At) }
            .Aggregate(GroupsDecisions.Empty, GroupsDecisions.Apply);

    public static TheoryData<string, string?> Checks() => new()
    {
        // command, expected refusal (null: accepted)
        { "create new", null },
        { "create lab", "group lab already exists" },
        { "create ../x", "invalid group name \"../x\": use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit" },
        { "create long-description", "the description has 257 characters, over the limit of 256" },
        { "delete field", null },
        { "delete lab (2 devices)", "group lab has 2 devices; remove them first (pbm groups remove lab --device <device>)" },
        { "delete lab (1 device)", "group lab has 1 device; remove them first (pbm groups remove lab --device <device>)" },
        { "delete nothing", "no group nothing (pbm groups create nothing)" },
        { "add lab d1 d2", null },
        { "add nothing d1", "no group nothing (pbm groups create nothing)" },
        { "add lab (none)", "name at least one device (--device)" },
        { "add lab D1", "invalid device name \"D1\": use 1-63 of a-z 0-9 - starting with a letter or digit" },
        { "add lab d1 d1", "device d1 is named twice" },
        { "add lab 1001 devices", "1001 devices named, over the limit of 1000 per call" },
        { "remove lab d1", null },
        { "remove registered-only d1", null },
        { "remove bad/name d1", "invalid group name \"bad/name\": use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit" },
        { "config field prod web", null },
        { "config nothing prod web", "no group nothing (pbm groups create nothing)" },
        { "config field bad:tag web", "invalid tag \"bad:tag\": use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit" },
        { "config field prod Web", "invalid app name \"Web\" in the app selection: use 1-63 of a-z 0-9 _ - starting with a letter or digit (a docker compose project name)" },
        { "config field prod web.v2", "invalid app name \"web.v2\" in the app selection: use 1-63 of a-z 0-9 _ - starting with a letter or digit (a docker compose project name)" },
    };

    [Theory]
    [MemberData(nameof(Checks))]
    public void Commands_are_checked_and_a_refusal_leaves_the_groups_as_they_were(string command, string? refusal)
    {
        var groups = Groups();
        var words = command.Split(' ');
        var devices = words.Skip(2).Where(w => !w.StartsWith('(')).ToList();
        var decision = words[0] switch
        {
            "create" => GroupsDecisions.Create(groups, new CreateGroup(words[1], command.Contains("long-description") ? new string('x', 257) : "a group"), At),
            "delete" => GroupsDecisions.Delete(groups, new DeleteGroup(words[1]), command.Contains("(2 devices)") ? 2 : command.Contains("(1 device)") ? 1 : 0, At),
            "add" when command.EndsWith("1001 devices") => GroupsDecisions.Add(groups, new AddToGroup(words[1], Enumerable.Range(0, 1001).Select(i => $"d{i}").ToList())),
            "add" => GroupsDecisions.Add(groups, new AddToGroup(words[1], devices)),
            "remove" => GroupsDecisions.Remove(new RemoveFromGroup(words[1], devices)),
            _ => GroupsDecisions.Configure(groups, new ConfigureGroup(words[1], new DeviceConfig(words[2], [words[3]])), At),
        };
        Assert.Equal(refusal, decision.Refusal);
        if (refusal is not null) Assert.Empty(decision.Events);
        Assert.Equal(Groups(), groups); // deciding never changes anything
    }

    [Fact]
    public void Events_create_configure_and_delete_groups()
    {
        var groups = Groups();
        Assert.Equal(new DeviceGroup("lab", "bench devices", Prod, At), groups["lab"]);
        Assert.Null(groups["field"].Config);

        groups = GroupsDecisions.Apply(groups, new GroupConfigured("lab", DeviceConfig.Of("qa", null), At));
        Assert.Equal(new DeviceConfig("qa", null), groups["lab"].Config);
        groups = GroupsDecisions.Apply(groups, new GroupDeleted("field", At));
        Assert.Equal(["lab"], groups.Keys);
        // A deleted name can be created again.
        Assert.Equal([new GroupCreated("field", null, At)], GroupsDecisions.Create(groups, new CreateGroup("field", null), At).Events);
    }

    [Fact]
    public void Config_selections_compare_as_sets_of_names()
    {
        Assert.Equal(DeviceConfig.Of("prod", ["web", "api", "web"]), DeviceConfig.Of("prod", ["api", "web"]));
        Assert.NotEqual(DeviceConfig.Of("prod", []), DeviceConfig.Of("prod", null));
        Assert.Equal("tag prod, apps none", DeviceConfig.Of("prod", []).ToString());
        Assert.Equal("all", DeviceConfig.Of("prod", null).AppsText);
        Assert.Equal("the app selection lists 65 apps, over the limit of 64", new DeviceConfig("prod", Enumerable.Range(0, 65).Select(i => $"a{i}").ToList()).Problem);
    }

    [Fact]
    public void A_device_belongs_to_one_group_at_most()
    {
        Assert.Equal("device d1 is in group lab; a device belongs to one group: remove it from lab first",
            DeviceTwinState.MembershipRefusal("d1", "lab", GroupChange.Add, "field"));
        Assert.Null(DeviceTwinState.MembershipRefusal("d1", "lab", GroupChange.Add, "lab"));
        Assert.Null(DeviceTwinState.MembershipRefusal("d1", null, GroupChange.Add, "lab"));
        Assert.Equal("device d1 is not in group lab (it has no group)", DeviceTwinState.MembershipRefusal("d1", null, GroupChange.Remove, "lab"));
        Assert.Equal("device d1 is not in group lab (its group is field)", DeviceTwinState.MembershipRefusal("d1", "field", GroupChange.Remove, "lab"));
        Assert.Null(DeviceTwinState.MembershipRefusal("d1", "lab", GroupChange.Remove, "lab"));
    }
}
