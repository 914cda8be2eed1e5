using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Revocations;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.TestSupport;

namespace FleetOrchestrator.ControlPlane.Tests.Devices;

/// <summary>Revoking and deleting through the twins, the deny list singleton and the fleet projection of a real node (SQLite journal).</summary>
public sealed class DeviceRevocationActorTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly string OldCertificate = new('a', 64);
    private readonly TempDirectory _data = new();
    private readonly TestRepository _keys = new();

    public void Dispose() => _data.Dispose();

    private string Database => _data.Combine("journal.db");

    private static async Task UntilAsync(Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow + Wait + Wait;
        while (!await done())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"never {what}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Revoked_rows_show_the_revocation_deleted_rows_leave_the_table_and_the_deny_list_survives_a_restart()
    {
        var table = new FleetTable(PersistenceSettings.SqliteFile(Database));
        await using (var host = await ControlPlaneTestHost.StartAsync(Database, TestSettings.Registry(_keys), twins: TestSettings.Twins()))
        {
            var twins = await host.Registry.GetAsync<DeviceTwinActor>();
            var denyList = await host.Registry.GetAsync<DenyListActor>();
            await twins.Ask<DeviceRegistered>(new RegisterDevice("device-a", "rpi4", "main", OldCertificate, "lab"), Wait);
            await twins.Ask<DeviceRegistered>(new RegisterDevice("device-b", "rpi4", "main", new string('b', 64), "lab"), Wait);

            var revoked = await twins.Ask<DeviceRevocationAnswered>(new RevokeDevice("device-a", "stolen", "alice"), Wait);
            var deleted = await twins.Ask<DeviceRevocationAnswered>(new DeleteDevice("device-b", "retired", "bob", ReleaseName: false), Wait);
            var unknown = await twins.Ask<Refused>(new RevokeDevice("ghost", "stolen", "alice"), Wait);
            await denyList.Ask<DeviceDenied>(new DenyDevice("device-a", revoked.Revocation.CertificateSha256, revoked.NameReserved), Wait);
            var denied = await denyList.Ask<DeviceDenied>(new DenyDevice("device-b", deleted.Revocation.CertificateSha256, deleted.NameReserved), Wait);

            Assert.Equal(("stolen", "alice", OldCertificate, true, true), (revoked.Revocation.Reason, revoked.Revocation.By, revoked.Revocation.CertificateSha256, revoked.Changed, revoked.NameReserved));
            Assert.Equal(new DeviceDeletion("bob", deleted.Deletion!.At, NameReleased: false), deleted.Deletion);
            Assert.Equal("no device \"ghost\" is registered", unknown.Reason);
            Assert.Equal(2, denied.Revision);
            await UntilAsync(async () => (await table.GetAsync("device-a"))?.Revocation is not null && await table.GetAsync("device-b") is null, "the revocation of device-a and the deletion of device-b in the table");
            // The table keeps milliseconds.
            Assert.Equal(revoked.Revocation with { At = DateTimeOffset.FromUnixTimeMilliseconds(revoked.Revocation.At.ToUnixTimeMilliseconds()) },
                (await table.GetAsync("device-a"))!.Revocation);
            Assert.Equal(1, await table.CountAsync(new FleetQuery(Group: "lab"))); // device-b left its group with its row
            var journal = PersistenceQuery.Get(host.System).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
            var ghost = await journal.CurrentEventsByPersistenceId("device-ghost", 0, long.MaxValue).RunWith(Sink.Seq<EventEnvelope>(), host.System.Materializer());
            Assert.Empty(ghost);

            // A released name registers a new device and a new row; the old certificate stays denied.
            await twins.Ask<DeviceRevocationAnswered>(new DeleteDevice("device-a", "retired", "bob", ReleaseName: true), Wait);
            await denyList.Ask<DeviceDenied>(new DenyDevice("device-a", OldCertificate, NameReserved: false), Wait);
            await twins.Ask<DeviceRegistered>(new RegisterDevice("device-a", "x86", "main", new string('c', 64)), Wait);
            await UntilAsync(async () => (await table.GetAsync("device-a")) is { HardwareId: "x86", Revocation: null }, "the new device-a in the table");
        }

        await using var restarted = await ControlPlaneTestHost.StartAsync(Database, TestSettings.Registry(_keys), twins: TestSettings.Twins());
        var list = await (await restarted.Registry.GetAsync<DenyListActor>()).Ask<DenyList>(GetDenyList.Instance, Wait);
        Assert.Equal(3, list.Revision);
        Assert.Equal(["device-b"], list.Names);
        Assert.Equal([OldCertificate, new string('b', 64)], list.Fingerprints.Order());
        var details = await (await restarted.Registry.GetAsync<DeviceTwinActor>()).Ask<DeviceDetails>(new GetDevice("device-b"), Wait);
        Assert.Equal(("retired", "bob"), (details.Revocation!.Reason, details.Revocation.By));
    }
}
