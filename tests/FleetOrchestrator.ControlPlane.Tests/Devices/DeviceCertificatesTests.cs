using FleetOrchestrator.ControlPlane.Devices;
using static FleetOrchestrator.ControlPlane.Tests.Devices.DeviceReports;

namespace FleetOrchestrator.ControlPlane.Tests.Devices;

public class DeviceCertificatesTests
{
    private static DeviceTwinState Registered() =>
        DeviceTwinState.Empty("device-1").Apply(DeviceTwinState.Empty("device-1").Decide(new RegisterDevice("device-1", "rpi4", "main", "old"), Now).Single!);

    private static DeviceTwinState Renewed() =>
        Registered().Apply(DeviceCertificates.Decide(Registered(), new RenewDeviceCertificate("device-1", "old", "new"), Now.AddDays(1)).Single!);

    [Fact]
    public void A_renewal_keeps_the_current_certificate_valid_beside_the_new_one_until_the_new_one_is_used()
    {
        var renewed = Renewed();

        Assert.Equal(("old", "new"), (renewed.Registration!.CertificateSha256, renewed.Registration.RenewedCertificateSha256));
        Assert.True(DeviceCertificates.Holds(renewed.Registration, "old"));
        Assert.True(DeviceCertificates.Holds(renewed.Registration, "new"));
        Assert.Equal(Now.AddDays(1), renewed.LastSeen);
    }

    [Fact]
    public void Using_the_renewed_certificate_makes_it_the_only_one()
    {
        var renewed = Renewed();

        var activated = renewed.Apply(DeviceCertificates.Decide(renewed, new ActivateDeviceCertificate("device-1", "new"), Now.AddDays(2)).Single!);
        var again = DeviceCertificates.Decide(activated, new ActivateDeviceCertificate("device-1", "new"), Now.AddDays(3));

        Assert.Equal(("new", (string?)null), (activated.Registration!.CertificateSha256, activated.Registration.RenewedCertificateSha256));
        Assert.False(DeviceCertificates.Holds(activated.Registration, "old"));
        Assert.Empty(again.Events);
        Assert.Null(again.Refusal);
    }

    [Fact]
    public void A_lost_renewal_answer_is_replaced_by_the_next_renewal()
    {
        var renewed = Renewed();

        var second = renewed.Apply(DeviceCertificates.Decide(renewed, new RenewDeviceCertificate("device-1", "old", "newer"), Now.AddDays(2)).Single!);

        Assert.Equal(("old", "newer"), (second.Registration!.CertificateSha256, second.Registration.RenewedCertificateSha256));
        Assert.False(DeviceCertificates.Holds(second.Registration, "new"));
    }

    [Fact]
    public void A_revoked_device_cannot_renew_nor_activate_a_renewal()
    {
        var renewed = Renewed();
        var revoked = renewed.Apply(renewed.Decide(new RevokeDevice("device-1", "stolen", "alice"), Now.AddDays(2)).Single!);

        var renewal = DeviceCertificates.Decide(revoked, new RenewDeviceCertificate("device-1", "old", "newer"), Now.AddDays(3));
        var activation = DeviceCertificates.Decide(revoked, new ActivateDeviceCertificate("device-1", "new"), Now.AddDays(3));

        Assert.Empty(renewal.Events);
        Assert.Empty(activation.Events);
        Assert.StartsWith("device \"device-1\" is revoked (since ", renewal.Refusal);
        Assert.EndsWith("by alice: stolen); it cannot renew", activation.Refusal);
    }

    [Fact]
    public void Renewals_and_activations_that_do_not_fit_are_refused_with_nothing_to_persist()
    {
        var renewed = Renewed();

        var fromOther = DeviceCertificates.Decide(renewed, new RenewDeviceCertificate("device-1", "new", "x"), Now);
        var unknown = DeviceCertificates.Decide(renewed, new ActivateDeviceCertificate("device-1", "forged"), Now);
        var unregistered = DeviceCertificates.Decide(DeviceTwinState.Empty("device-2"), new RenewDeviceCertificate("device-2", "a", "b"), Now);

        Assert.Equal("device \"device-1\" renews only with its current certificate", fromOther.Refusal);
        Assert.Equal("certificate forged is neither the current nor the renewed certificate of \"device-1\"", unknown.Refusal);
        Assert.Equal("device \"device-2\" is not registered", unregistered.Refusal);
        Assert.All([fromOther, unknown, unregistered], d => Assert.Empty(d.Events));
    }
}
