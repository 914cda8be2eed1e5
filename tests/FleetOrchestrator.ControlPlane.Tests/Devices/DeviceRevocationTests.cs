using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Revocations;
using FleetOrchestrator.Protocol.DeviceApi;
using static FleetOrchestrator.ControlPlane.Tests.Devices.DeviceReports;

namespace FleetOrchestrator.ControlPlane.Tests.Devices;

/// <summary>The pure decisions of revoking and deleting a device, and of the deny list the gateways hold.</summary>
public class DeviceRevocationTests
{
    private static readonly string Fingerprint = new('a', 64);

    private static DeviceTwinState Registered(string certificate = "ab") =>
        Apply(DeviceTwinState.Empty("device-1"), DeviceTwinState.Empty("device-1").Decide(new RegisterDevice("device-1", "rpi4", "main", certificate, "lab"), Now).Single!);

    private static DeviceTwinState Apply(DeviceTwinState state, params IEnumerable<IDeviceTwinEvent> events) => events.Aggregate(state, (s, e) => s.Apply(e));

    [Fact]
    public void Revoking_records_reason_operator_time_and_the_current_certificate_and_a_second_revoke_changes_nothing()
    {
        var decision = Registered().Decide(new RevokeDevice("device-1", "stolen", "alice"), Now.AddHours(1));
        var revoked = Apply(Registered(), decision.Events);

        Assert.Equal([new DeviceWasRevoked("device-1", new DeviceRevocation("stolen", "alice", Now.AddHours(1), "ab"))], decision.Events);
        Assert.Equal(revoked.Revocation, revoked.Details().Revocation);
        Assert.Equal(Now, revoked.LastSeen); // a revocation is no contact with the device
        var again = revoked.Decide(new RevokeDevice("device-1", "lost", "bob"), Now.AddHours(2));
        Assert.Null(again.Refusal);
        Assert.Empty(again.Events);
    }

    [Fact]
    public void Unknown_devices_and_bad_reasons_are_refused_with_nothing_to_persist()
    {
        var unknown = DeviceTwinState.Empty("ghost").Decide(new RevokeDevice("ghost", "stolen", "alice"), Now);
        var deleteUnknown = DeviceTwinState.Empty("ghost").Decide(new DeleteDevice("ghost", "gone", "alice", ReleaseName: true), Now);
        var empty = Registered().Decide(new RevokeDevice("device-1", " ", "alice"), Now);
        var multiline = Registered().Decide(new RevokeDevice("device-1", "a\nb", "alice"), Now);
        var long_ = Registered().Decide(new RevokeDevice("device-1", new string('x', 501), "alice"), Now);

        Assert.Equal("no device \"ghost\" is registered", unknown.Refusal);
        Assert.Equal("no device \"ghost\" is registered", deleteUnknown.Refusal);
        Assert.Equal("the reason is empty; say why the device is revoked", empty.Refusal);
        Assert.Equal("the reason holds a control character (a line break?); give one line", multiline.Refusal);
        Assert.Equal("the reason is 501 characters, over the 500-character limit", long_.Refusal);
        Assert.All(new[] { unknown, deleteUnknown, empty, multiline, long_ }, d => Assert.Empty(d.Events));
    }

    [Fact]
    public void A_revoked_device_reports_nothing_is_seen_no_more_and_its_name_cannot_register_again()
    {
        var revoked = Apply(Registered(), Registered().Decide(new RevokeDevice("device-1", "stolen", "alice"), Now.AddHours(1)).Events);

        var events = revoked.Decide(new RecordDeviceEvents("device-1", SuccessfulUpdate("acme-2", "e"), Now.AddHours(2)));
        var apps = revoked.Decide(new RecordAppsStates("device-1", Apps("acme-2", ("web", AppStates.Healthy)), Now.AddHours(2)));
        var config = revoked.Decide(new ConfigureDevice("device-1", new DeviceConfig("beta", null)));
        var register = revoked.Decide(new RegisterDevice("device-1", "rpi4", "main", "cd"), Now.AddHours(2));

        Assert.StartsWith("device \"device-1\" is revoked (since ", events.Refusal);
        Assert.StartsWith("device \"device-1\" is revoked (since ", apps.Refusal);
        Assert.StartsWith("device \"device-1\" is revoked (since ", config.Refusal);
        Assert.Null(revoked.Seen(Now.AddHours(3), TimeSpan.Zero).Event);
        Assert.Equal("the device name \"device-1\" is revoked (since 2026-11-01 13:00:00Z, by alice: stolen); 'pbm devices delete device-1 --release-name' frees it for a new device",
            register.Refusal);
    }

    [Fact]
    public void Deleting_revokes_first_keeps_the_name_reserved_and_a_later_delete_can_release_it()
    {
        var decision = Registered().Decide(new DeleteDevice("device-1", "retired", "alice", ReleaseName: false), Now.AddHours(1));
        var deleted = Apply(Registered(), decision.Events);

        Assert.Equal(["DeviceWasRevoked", "DeviceWasDeleted"], decision.Events.Select(e => e.GetType().Name));
        Assert.Equal(new DeviceDeletion("alice", Now.AddHours(1), NameReleased: false), deleted.Deletion);
        Assert.Equal("retired", deleted.Revocation!.Reason);
        Assert.NotNull(deleted.Decide(new RegisterDevice("device-1", "rpi4", "main", "cd"), Now.AddHours(2)).Refusal);
        Assert.Empty(deleted.Decide(new DeleteDevice("device-1", "again", "bob", ReleaseName: false), Now.AddHours(2)).Events);

        var release = deleted.Decide(new DeleteDevice("device-1", "ignored", "bob", ReleaseName: true), Now.AddHours(2));
        var released = Apply(deleted, release.Events);
        Assert.Equal([new DeviceWasDeleted("device-1", new DeviceDeletion("bob", Now.AddHours(2), NameReleased: true))], release.Events);
        Assert.Equal("retired", released.Revocation!.Reason); // the first revocation stays
    }

    [Fact]
    public void A_released_name_registers_a_new_device_with_nothing_of_the_old_one()
    {
        var old = Apply(Registered(), Registered().Decide(new RecordDeviceEvents("device-1", SuccessfulUpdate("acme-2", "e"), Now.AddMinutes(5))).Events);
        var revoked = Apply(old, old.Decide(new RevokeDevice("device-1", "stolen", "alice"), Now.AddHours(1)).Events);
        var released = Apply(revoked, revoked.Decide(new DeleteDevice("device-1", "gone", "alice", ReleaseName: true), Now.AddHours(1)).Events);

        var register = released.Decide(new RegisterDevice("device-1", "x86", "beta", "cd"), Now.AddHours(2));
        var fresh = Apply(released, register.Events);

        Assert.Null(register.Refusal);
        Assert.Equal(("x86", "beta", "cd"), (fresh.Registration!.HardwareId, fresh.Registration.Tag, fresh.Registration.CertificateSha256));
        Assert.Equal((null, null, null, 0), (fresh.Revocation, fresh.Deletion, fresh.CurrentTarget, fresh.Installs.Count));
        Assert.Equal("a device named \"device-1\" is already registered (since 2026-11-01 14:00:00Z)",
            fresh.Decide(new RegisterDevice("device-1", "x86", "beta", "ef"), Now.AddHours(3)).Refusal);
    }

    [Fact]
    public void The_deny_list_keeps_every_revoked_certificate_and_reserves_names_until_released()
    {
        var denied = DenyList.Empty.Decide(new DenyDevice("device-1", Fingerprint, NameReserved: true), Now);
        var list = DenyList.Empty.Apply(denied.Single!);
        var again = list.Decide(new DenyDevice("device-1", Fingerprint, NameReserved: true), Now);
        var release = list.Decide(new DenyDevice("device-1", Fingerprint, NameReserved: false), Now);
        var released = list.Apply(release.Single!);

        Assert.Equal(new DenyListChanged(1, "device-1", Fingerprint, true, Now), denied.Single);
        Assert.True(list.Refuses("device-1", new string('b', 64)));
        Assert.True(list.Refuses("other", Fingerprint));
        Assert.Empty(again.Events);
        Assert.Equal(2, released.Revision);
        Assert.False(released.Refuses("device-1", new string('b', 64)));
        Assert.True(released.Refuses("device-1", Fingerprint));
    }

    [Fact]
    public void The_deny_list_refuses_bad_names_and_fingerprints()
    {
        Assert.StartsWith("\"ABC\" is not a SHA-256 fingerprint", DenyList.Empty.Decide(new DenyDevice("device-1", "ABC", true), Now).Refusal);
        Assert.StartsWith("\"" + new string('A', 64) + "\" is not a SHA-256 fingerprint", DenyList.Empty.Decide(new DenyDevice("device-1", new string('A', 64), true), Now).Refusal);
        Assert.NotNull(DenyList.Empty.Decide(new DenyDevice("Bad Name", Fingerprint, true), Now).Refusal);
    }
}
