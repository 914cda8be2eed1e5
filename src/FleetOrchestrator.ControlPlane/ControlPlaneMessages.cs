using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Waves;
using FleetOrchestrator.Protocol.Serialization;

namespace FleetOrchestrator.ControlPlane;

/// <summary>The manifest of every remote message and persisted event of the control plane. Never reuse or rename a manifest.</summary>
public static class ControlPlaneMessages
{
    public static ManifestTable Table { get; } = ManifestTable.Empty
        .Add<RecordTarget>("targets.record-target")
        .Add<TargetRecorded>("targets.target-recorded")
        .Add<TargetRejected>("targets.target-rejected")
        .Add<GetRepositoryMetadata>("targets.get-repository-metadata")
        .Add<RepositoryMetadata>("targets.repository-metadata")
        .Add<RepositoryInitialized>("targets.repository-initialized")
        .Add<TagSigned>("targets.tag-signed")
        .Add<TargetRegistrySnapshot>("targets.snapshot")
        .Add<OpenWaveView>("targets.open-wave-view")
        .Add<PromoteWaveView>("targets.promote-wave-view")
        .Add<CloseWaveView>("targets.close-wave-view")
        .Add<WaveViewChanged>("targets.wave-view-changed")
        .Add<WaveViewRefused>("targets.wave-view-refused")
        .Add<InitWave>("waves.init")
        .Add<RolloutWave>("waves.rollout")
        .Add<PauseWave>("waves.pause")
        .Add<ResumeWave>("waves.resume")
        .Add<AbortWave>("waves.abort")
        .Add<CompleteWave>("waves.complete")
        .Add<CancelWave>("waves.cancel")
        .Add<GetWave>("waves.get")
        .Add<ListWaves>("waves.list")
        .Add<GetWaveDevices>("waves.get-devices")
        .Add<WaveDevices>("waves.devices")
        .Add<WaveAccepted>("waves.accepted")
        .Add<WaveRefused>("waves.refused")
        .Add<WaveList>("waves.wave-list")
        .Add<AssignDeviceView>("waves.assign-device-view")
        .Add<WaveInitialized>("waves.initialized")
        .Add<WaveStageAdded>("waves.stage-added")
        .Add<WaveStageStarted>("waves.stage-started")
        .Add<WaveDevicesReleased>("waves.devices-released")
        .Add<WaveStageDecided>("waves.stage-decided")
        .Add<WaveStatusChanged>("waves.status-changed")
        .Add<WavesSnapshot>("waves.snapshot")
        .Add<PublishTarget>("publishing.publish-target")
        .Add<TargetPublished>("publishing.target-published")
        .Add<PublishFailed>("publishing.publish-failed")
        .Add<PublishProgressed>("publishing.publish-progressed")
        .Add<WatchedCommitHandled>("publishing.watched-commit-handled")
        .Add<GetBranchWatchStatus>("publishing.get-branch-watch-status")
        .Add<BranchWatchStatus>("publishing.branch-watch-status")
        .Add<BranchWatchState>("publishing.branch-watch-snapshot")
        .Add<RegisterDevice>("devices.register-device")
        .Add<DeviceRegistered>("devices.device-registered")
        .Add<DeviceRegistrationRefused>("devices.device-registration-refused")
        .Add<DeviceSeen>("devices.device-seen")
        .Add<GetDevice>("devices.get-device")
        .Add<DeviceView>("devices.device-view")
        .Add<DeviceWasRegistered>("devices.device-was-registered")
        .Add<RecordDeviceEvents>("devices.record-device-events")
        .Add<DeviceEventsRecorded>("devices.device-events-recorded")
        .Add<RecordAppsStates>("devices.record-apps-states")
        .Add<RecordSystemInfo>("devices.record-system-info")
        .Add<DeviceReportRecorded>("devices.device-report-recorded")
        .Add<DeviceReportRefused>("devices.device-report-refused")
        .Add<DeviceEventsWereRecorded>("devices.device-events-were-recorded")
        .Add<DeviceAppsStatesChanged>("devices.device-apps-states-changed")
        .Add<DeviceSystemInfoChanged>("devices.device-system-info-changed")
        .Add<DeviceWasSeen>("devices.device-was-seen")
        .Add<DeviceTwinSnapshot>("devices.snapshot")
        .Add<DeviceViewWasAssigned>("devices.device-view-was-assigned")
        .Add<DeviceViewChanged>("devices.device-view-changed")
        .Add<GetFleetProjectionOffset>("fleet.get-projection-offset")
        .Add<FleetProjectionOffset>("fleet.projection-offset");
}
