using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using FleetOrchestrator.ControlPlane.Audit;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Groups;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Revocations;
using FleetOrchestrator.ControlPlane.Registration;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Waves;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Infrastructure.Serialization;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests;

/// <summary>Every type in <see cref="ControlPlaneMessages.Table"/> goes through the fleet serializer and comes back equal.</summary>
public sealed class SerializationTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serialization", SerializationHosting.Setup(ControlPlaneMessages.Table));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    public static IEnumerable<object[]> Samples()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var test = new TestRepository(time: time);
        var record = TestRepository.Target("acme-3", "{\"app\":{\"uri\":\"r/acme/app@sha256:00\"}}", "main");
        var signed = TargetsDecisions.Record(test.Repository, test.Signers, time, record).Events.Single();
        var unpublished = TargetsDecisions.SignUnpublished(test.Repository, test.Signers, time).Single!;
        var state = TargetsDecisions.Apply(TargetsDecisions.Apply(TargetsDecisions.Initial(test.Root), signed), unpublished);
        yield return [record];
        yield return [new TargetRecorded("acme-3", new Dictionary<string, int> { ["main"] = 1 })];
        yield return [new Refused("acme-3", "custom.tags must be an array")];
        yield return [GetRepositoryMetadata.Instance];
        yield return [TargetsDecisions.MetadataOf(state, revision: 1)];
        yield return [new RepositoryInitialized(test.Root)];
        yield return [signed];
        yield return [new PublishTarget("3f2a9c1b7d4e", "/srv/containers.git", "main", "main", ["generic", "rpi4"], 7, ReportProgress: true)];
        yield return [new TargetPublished("acme-7", "main", 3, new Dictionary<string, string> { ["app"] = "r/acme/app@sha256:00" }, "0123abcd")];
        yield return [new PublishFailed("/srv/containers.git", "main", "compose file invalid")];
        yield return [new PublishProgressed("3f2a9c1b7d4e", "push", "httpd", "127.0.0.1:5000/acme/httpd:1a2b3c4")];
        yield return [new WatchedCommitHandled("/srv/containers.git", "main", "0123abcd", "acme-7", null, DateTimeOffset.Parse("2026-11-28T06:00:00Z"))];
        yield return [GetBranchWatchStatus.Instance];
        yield return [new OpenWaveView("prod", "wave-1", "42")];
        yield return [new PromoteWaveView("prod", "wave-1")];
        yield return [new CloseWaveView("prod", "wave-1")];
        yield return [new WithdrawWaveView("prod", "wave-1")];
        yield return [new WaveViewChanged("prod", "wave-1", "acme-42", 7)];
        yield return [new AdvanceTagViews("prod")];
        yield return [new TagViewsAdvanced("prod", 7)];
        yield return [new TagTargets("42", ["beta", "qa"])];
        yield return [new PruneTargets("42", "beta")];
        yield return [SignUnpublishedView.Instance];
        yield return [unpublished];
        yield return [new TargetTagsChanged("42", ["acme-42"], ["beta"], new Dictionary<string, int> { ["beta"] = 3, ["main"] = 7 })];
        var rootKey = test.Signers[0];
        yield return [new PrepareRoot([rootKey.PublicKey.ToJson().ToJsonString()])];
        yield return [new RotateOnlineKey("snapshot")];
        yield return [new SubmitSignatures("root/2", [new Tuf.Metadata.Signature(rootKey.KeyId, new string('a', 128))])];
        yield return [GetSigningRequests.Instance];
        yield return [new KeysAnswer("root rotation: root v2 needs 0/1 of the current root keys [01234567]", [
            new PendingSigning("root/2", "root", null, null, 2, test.Root, [rootKey.KeyId], [], "root v2 needs 0/1 of the current root keys"),
            new PendingSigning("targets/main/production/2", "targets", "main", "production", 2, test.Root, [rootKey.KeyId], [rootKey.KeyId], "1/1")], ["snapshot", "timestamp"])];
        yield return [new RootSigned(test.Root, new Dictionary<string, TagState> { ["main"] = signed.State }, unpublished.State)];
        var selection = new StageSelection(Group: "lab", Percent: 10);
        var gates = new StageGates(SuccessPercent: 90, FailurePercent: 5, FailureCount: 3, MinimumSample: 10, BakeTime: TimeSpan.FromMinutes(30), StageTimeout: TimeSpan.FromHours(2), RequiresApproval: true, RampPerMinute: 50);
        var tally = new StageTally(10, 7, 1, 2, 1, TimedOut: false);
        var waveRecord = new WaveRecord("wave-1", "prod", "42", "acme-42", WaveStatus.Paused, "stage 0 tripped",
            [new WaveStageRecord(selection, gates, StageStatus.Tripped, ["d1", "d2"], 1, DateTimeOffset.Parse("2026-11-28T06:00:00Z"), null, tally, "1 failed")]);
        yield return [new InitWave("wave-1", "42", "prod")];
        yield return [new RolloutWave("wave-1", selection, gates)];
        yield return [new PauseWave("wave-1")];
        yield return [new ResumeWave("wave-1")];
        yield return [new AbortWave("wave-1", Rollback: false)];
        yield return [new CompleteWave("wave-1")];
        yield return [new CancelWave("wave-1")];
        yield return [new GetWave("wave-1")];
        yield return [ListWaves.Instance];
        yield return [new GetWaveDevices("wave-1", 0)];
        yield return [new WaveDevices("wave-1", 0, ["d1", "d2"], 1)];
        yield return [new WaveAccepted(waveRecord.Summary())];
        yield return [new WaveList([waveRecord.Summary()])];
        yield return [new AssignDeviceView("d1", "prod", "wave-1")];
        yield return [new DeviceViewAnswered("d1", "prod", "wave-1")];
        yield return [new DeviceViewAnswered("d1", "prod", "wave-1", "device \"d1\" has tag beta, not prod")];
        yield return [new DeviceViewWasAssigned("d1", "wave-1")];
        yield return [new DeviceViewChanged("d1", null, DeviceConfig.Of("prod", ["web"]))];
        var prod = DeviceConfig.Of("prod", null);
        var group = new DeviceGroup("lab", "bench devices", prod, DateTimeOffset.Parse("2026-11-28T06:00:00Z"));
        yield return [new ChangeDeviceGroup("d1", "lab", prod, GroupChange.Add)];
        yield return [new ConfigureDevice("d1", DeviceConfig.Of("qa", []))];
        yield return [new DeviceConfigChanged("d1", "lab", prod, null, prod)];
        var renewedRegistration = new DeviceRegistration("rpi4", "main", "aa", DateTimeOffset.Parse("2026-11-01T00:00:00Z"), RenewedCertificateSha256: "bb");
        yield return [new RenewDeviceCertificate("d1", "aa", "bb")];
        yield return [new ActivateDeviceCertificate("d1", "bb")];
        yield return [new DeviceCertificateAnswered("d1", renewedRegistration)];
        yield return [new DeviceCertificateWasRenewed("d1", "bb", DateTimeOffset.Parse("2026-11-02T00:00:00Z"))];
        yield return [new DeviceCertificateWasActivated("d1", "bb", DateTimeOffset.Parse("2026-11-03T00:00:00Z"))];
        yield return [new DeviceCertificateChanged("d1", renewedRegistration)];
        var tokenHash = RegistrationTokenDecisions.Hash("token");
        yield return [new SeedRegistrationToken(tokenHash)];
        yield return [new RotateRegistrationToken(tokenHash)];
        yield return [new RegistrationTokenHash(tokenHash, DateTimeOffset.Parse("2026-11-01T00:00:00Z"))];
        yield return [new RegistrationTokenWasSet(tokenHash, DateTimeOffset.Parse("2026-11-01T00:00:00Z"))];
        yield return [new CreateGroup("lab", "bench devices")];
        yield return [new DeleteGroup("lab")];
        yield return [new AddToGroup("lab", ["d1", "d2"])];
        yield return [new RemoveFromGroup("lab", ["d1"])];
        yield return [new ConfigureGroup("lab", prod)];
        yield return [new DeviceJoinedGroup("d1", "lab")];
        yield return [ListGroups.Instance];
        yield return [new GroupAccepted(group, "created group lab")];
        yield return [new GroupMembersChanged("lab", [new GroupMemberResult("d1", true, null), new GroupMemberResult("d2", false, "device d2 is in group field")])];
        yield return [new GroupList([group])];
        yield return [new GroupCreated("lab", null, group.CreatedAt)];
        yield return [new GroupDeleted("lab", group.CreatedAt)];
        yield return [new GroupConfigured("lab", prod, group.CreatedAt)];
        yield return [new DeviceGroupsSnapshot([group])];
        yield return [new WaveInitialized("wave-1", "prod", "42", "acme-42", DateTimeOffset.Parse("2026-11-28T06:00:00Z"))];
        yield return [new WaveStageAdded("wave-1", selection, gates)];
        yield return [new WaveStageStarted("wave-1", 0, ["d1", "d2"], DateTimeOffset.Parse("2026-11-28T06:00:00Z"))];
        yield return [new WaveDevicesReleased("wave-1", 0, ["d1"])];
        yield return [new WaveStageDecided("wave-1", 0, StageStatus.Tripped, "1 failed", null, tally)];
        yield return [new WaveStatusChanged("wave-1", WaveStatus.Paused, "stage 0 tripped", DateTimeOffset.Parse("2026-11-28T06:00:00Z"))];
        yield return [new WavesSnapshot([waveRecord])];
        yield return [new BranchWatchStatus("/srv/containers.git", "main", "0123abcd", "acme-7", null, 3, 12, null)];
        yield return [new BranchWatchState("0123abcd", "acme-7", "build failed", 4)];
        var registration = new DeviceRegistration("rpi4", "main", new string('a', 64), new DateTimeOffset(2026, 11, 2, 3, 4, 5, TimeSpan.Zero));
        yield return [new RegisterDevice("device-1", "rpi4", "main", new string('a', 64))];
        yield return [new DeviceRegistered("device-1")];
        yield return [new Refused("device-1", "already registered")];
        yield return [new DeviceSeen("device-1", registration.RegisteredAt)];
        yield return [new GetDevice("device-1")];
        var events = Devices.DeviceReports.SuccessfulUpdate("acme-2", "e");
        var apps = Devices.DeviceReports.Apps("acme-2", ("web", AppStates.Healthy));
        var twin = DeviceTwinState.Empty("device-1").Apply(new DeviceWasRegistered("device-1", registration with { Group = "lab", Apps = ["web"] }))
            .Apply(new DeviceEventsWereRecorded("device-1", events, registration.RegisteredAt.AddHours(1), DeviceStatuses.Installed, "acme-2"))
            .Apply(new DeviceAppsStatesChanged("device-1", apps, registration.RegisteredAt.AddHours(1), AppHealth.Healthy, "acme-2"))
            .Apply(new DeviceSystemInfoChanged("device-1", Devices.DeviceReports.Info(), registration.RegisteredAt.AddHours(2)))
            .Apply(new DeviceConfigChanged("device-1", "lab", DeviceConfig.Of("prod", null), DeviceConfig.Of("qa", ["web"]), DeviceConfig.Of("qa", ["web"])));
        yield return [twin.Details()];
        yield return [DeviceTwinState.Empty("device-2").Details()];
        yield return [new DeviceWasRegistered("device-1", registration)];
        yield return [new RecordDeviceEvents("device-1", events, registration.RegisteredAt)];
        yield return [new DeviceEventsRecorded("device-1", 3, 2)];
        yield return [new RecordAppsStates("device-1", apps, registration.RegisteredAt)];
        yield return [new RecordSystemInfo("device-1", Devices.DeviceReports.Info(), registration.RegisteredAt)];
        yield return [new DeviceReportRecorded("device-1", true)];
        yield return [new DeviceConfigured("device-1", true, "lab", DeviceConfig.Of("qa", ["web"]), DeviceConfigSource.Own)];
        var revocation = new DeviceRevocation("stolen", "alice", registration.RegisteredAt.AddDays(1), new string('a', 64));
        var deletion = new DeviceDeletion("alice", registration.RegisteredAt.AddDays(2), NameReleased: true);
        yield return [new RevokeDevice("device-1", "stolen", "alice")];
        yield return [new DeleteDevice("device-1", "retired", "alice", ReleaseName: true)];
        yield return [new DeviceRevocationAnswered("device-1", revocation, deletion, Changed: true)];
        yield return [new DeviceWasRevoked("device-1", revocation)];
        yield return [new DeviceWasDeleted("device-1", deletion)];
        yield return [twin.Apply(new DeviceWasRevoked("device-1", revocation)).Apply(new DeviceWasDeleted("device-1", deletion)).Details()];
        yield return [new DenyDevice("device-1", new string('a', 64), NameReserved: true)];
        yield return [new DeviceDenied("device-1", 3)];
        yield return [new DenyListChanged(3, "device-1", new string('a', 64), true, revocation.At)];
        yield return [GetDenyList.Instance];
        yield return [DenyList.Empty.Apply(new DenyListChanged(1, "device-1", new string('a', 64), true, revocation.At))];
        yield return [new DeviceEventsWereRecorded("device-1", events, registration.RegisteredAt, DeviceStatuses.Installed, "acme-2")];
        yield return [new DeviceAppsStatesChanged("device-1", apps, registration.RegisteredAt, AppHealth.Healthy, "acme-2")];
        yield return [new DeviceSystemInfoChanged("device-1", Devices.DeviceReports.Info(), registration.RegisteredAt)];
        yield return [new DeviceWasSeen("device-1", registration.RegisteredAt)];
        yield return [new DeviceTwinSnapshot(twin)];
        yield return [GetFleetProjectionOffset.Instance];
        yield return [new FleetProjectionOffset(42)];
        var entry = new AuditEntry(registration.RegisteredAt, "akka.ssl.tcp://fleet@n1:4053", "alice", "operator", "keys", "submit",
            ["req-1", "--signature", AuditEntry.Elided], AuditEntry.Failed, 1, "not-found", "no request req-1");
        yield return [new RecordAuditEntry(entry)];
        yield return [new AuditEntryRecorded(entry)];
        yield return [new AuditEntryStored(7)];
        yield return [GetAuditHead.Instance];
        yield return [new AuditHead(7)];
        // Last: Snapshot_comes_back_as_a_loadable_repository reads it.
        yield return [new TargetRegistrySnapshot(state)];
    }

    [Fact]
    public void Every_table_entry_has_a_sample()
    {
        var sampled = Samples().Select(s => s[0].GetType()).ToHashSet();
        Assert.Equal(ControlPlaneMessages.Table.Types.OrderBy(t => t.Name), sampled.OrderBy(t => t.Name));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Round_trips_through_the_serializer_akka_picks(object message)
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        Assert.IsType<FleetJsonSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var bytes = serializer.ToBinary(message);

        var back = _system.Serialization.Deserialize(bytes, serializer.Identifier, manifest);

        Assert.IsType(message.GetType(), back);
        // Records holding arrays and JSON nodes compare by reference; compare their JSON form instead.
        Assert.Equal(JsonSerializer.Serialize(message, message.GetType()), JsonSerializer.Serialize(back, back.GetType()));
        Assert.DoesNotContain("FleetOrchestrator", System.Text.Encoding.UTF8.GetString(bytes) + manifest);
    }

    [Fact]
    public void Snapshot_comes_back_as_a_loadable_repository()
    {
        var snapshot = (TargetRegistrySnapshot)Samples().Last()[0];
        var serializer = _system.Serialization.FindSerializerFor(snapshot);
        var back = (TargetRegistrySnapshot)_system.Serialization.Deserialize(serializer.ToBinary(snapshot), serializer.Identifier, "targets.snapshot");

        var metadata = TargetsDecisions.MetadataOf(back.State, revision: 1);
        var view = Assert.Single(metadata.Views);
        Assert.Equal(["acme-3"], TestRepository.VerifiedTargets(back.State.Roots[0], view).Targets.Keys);
        Assert.Empty(TestRepository.VerifiedTargets(back.State.Roots[0], metadata.Unpublished!).Targets);
        Assert.IsType<JsonObject>(back.State.Tags["main"].Views[TufRepository.ProductionView].Targets["acme-3"].Custom);
    }
}
