using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Tuf.Repository;
using static FleetOrchestrator.ControlPlane.Tests.Devices.DeviceReports;

namespace FleetOrchestrator.ControlPlane.Tests.Devices;

/// <summary>A twin's group and config: own config over the group's over the registration's, one group at most, refusals change nothing.</summary>
public sealed class DeviceConfigTests
{
    private static readonly DeviceConfig Prod = DeviceConfig.Of("prod", null);
    private static readonly DeviceConfig Own = DeviceConfig.Of("qa", ["web"]);

    /// <summary>Registered with tag main, group lab, apps [web].</summary>
    private static DeviceTwinState Registered() =>
        DeviceTwinState.Empty("d1").Apply(new DeviceWasRegistered("d1", new DeviceRegistration("rpi4", "main", "ab", Now, "lab", ["web"])));

    /// <summary>A decision as (event, refusal): an unchanged decision is (null, null).</summary>
    private static (DeviceConfigChanged? Event, string? Refusal) Of(Decision<DeviceConfigChanged> decision) => (decision.Single, decision.Refusal);

    private static DeviceTwinState Change(DeviceTwinState state, object command)
    {
        var (e, refusal) = command switch
        {
            ChangeDeviceGroup change => Of(state.Decide(change)),
            ConfigureDevice configure => Of(state.Decide(configure)),
            _ => throw new ArgumentException("not a config command"),
        };
        Assert.Null(refusal);
        Assert.NotNull(e);
        return state.Apply(e);
    }

    [Fact]
    public void The_registration_group_is_the_initial_group_and_its_config_the_initial_config()
    {
        var state = Registered();
        Assert.Equal("lab", state.Group);
        Assert.Equal(new DeviceConfig("main", ["web"]), state.Config());
        Assert.Null(DeviceTwinState.Empty("d2").Config());
    }

    [Fact]
    public void Own_config_wins_over_the_groups_which_wins_over_the_registration()
    {
        var state = Change(Registered(), new ChangeDeviceGroup("d1", "lab", Prod, GroupChange.Configure));
        Assert.Equal(Prod, state.Config());
        state = Change(state, new ConfigureDevice("d1", Own));
        Assert.Equal(Own, state.Config());
        // The group's next config is kept for when the device drops its own.
        state = Change(state, new ChangeDeviceGroup("d1", "lab", DeviceConfig.Of("beta", []), GroupChange.Configure));
        Assert.Equal(Own, state.Config());
        state = Change(state, new ConfigureDevice("d1", null));
        Assert.Equal(DeviceConfig.Of("beta", []), state.Config());
        state = Change(state, new ChangeDeviceGroup("d1", "lab", null, GroupChange.Remove));
        Assert.Equal((null, new DeviceConfig("main", ["web"])), (state.Group, state.Config()));
    }

    [Fact]
    public void Joining_a_group_takes_its_config_and_the_event_carries_what_results()
    {
        var state = Change(Registered(), new ChangeDeviceGroup("d1", "lab", null, GroupChange.Remove));
        var (joined, _) = Of(state.Decide(new ChangeDeviceGroup("d1", "field", Prod, GroupChange.Add)));
        Assert.Equal(new DeviceConfigChanged("d1", "field", Prod, null, Prod), joined);
        // Already so: nothing to persist.
        Assert.Equal((null, null), Of(state.Apply(joined!).Decide(new ChangeDeviceGroup("d1", "field", Prod, GroupChange.Add))));
    }

    [Fact]
    public void Refusals_and_stale_configs_change_nothing()
    {
        var state = Registered();
        Assert.Equal((null, "device d1 is in group lab; a device belongs to one group: remove it from lab first"),
            Of(state.Decide(new ChangeDeviceGroup("d1", "field", Prod, GroupChange.Add))));
        Assert.Equal((null, "device d1 is not in group field (its group is lab)"), Of(state.Decide(new ChangeDeviceGroup("d1", "field", null, GroupChange.Remove))));
        // A config for a group the device left since: ignored, not refused.
        Assert.Equal((null, null), Of(state.Decide(new ChangeDeviceGroup("d1", "field", Prod, GroupChange.Configure))));
        Assert.Equal((null, "invalid tag \"no tag\": use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit"),
            Of(state.Decide(new ConfigureDevice("d1", new DeviceConfig("no tag", null)))));
        Assert.Equal((null, "device \"d2\" is not registered"), Of(DeviceTwinState.Empty("d2").Decide(new ConfigureDevice("d2", Prod))));
        Assert.Equal((null, "report for device \"d2\" reached the twin of \"d1\""), Of(state.Decide(new ConfigureDevice("d2", Prod))));
    }

    [Fact]
    public void A_new_tag_gives_the_device_the_production_view_of_that_tag_and_waves_check_the_effective_tag()
    {
        var state = Registered().Apply(new DeviceViewWasAssigned("d1", "wave-1"));
        Assert.Equal("wave-1", state.ServedView());
        var sameTag = Change(state, new ConfigureDevice("d1", DeviceConfig.Of("main", [])));
        Assert.Equal("wave-1", sameTag.ServedView());
        var moved = Change(state, new ConfigureDevice("d1", Prod));
        Assert.Equal(TufRepository.ProductionView, moved.ServedView());
        Assert.Equal("device \"d1\" has tag prod, not main", moved.Decide(new AssignDeviceView("d1", "main", "wave-2")).Refusal);
        Assert.NotNull(moved.Decide(new AssignDeviceView("d1", "prod", "wave-2")).Single);
    }

    [Fact]
    public void The_fleet_row_follows_the_group_and_the_resulting_tag()
    {
        var registered = new DeviceWasRegistered("d1", new DeviceRegistration("rpi4", "main", "ab", Now, "lab"));
        var row = FleetRow.Apply(null, registered);
        row = FleetRow.Apply(row, new DeviceConfigChanged("d1", "field", Prod, null, Prod))!;
        Assert.Equal(("prod", "field", Now), (row.Tag, row.Group, row.LastSeen)); // not a contact: last seen stays
    }
}
