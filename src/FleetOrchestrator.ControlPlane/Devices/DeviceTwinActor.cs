using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.Infrastructure.Hosting;
using FleetOrchestrator.Protocol.Decisions;

namespace FleetOrchestrator.ControlPlane.Devices;

/// <summary>
/// One device's twin under Cluster Sharding: registration, update history, app states and system info,
/// persisted only when they change, snapshotted every few events. Sharding passivates it when idle; it
/// recovers from its snapshot and journal on its next message. An untyped actor: with 100,000 twins a
/// node, per-instance handler tables (ReceivePersistentActor) would cost more than the state itself.
/// </summary>
public sealed class DeviceTwinActor : UntypedPersistentActor
{
    private readonly DeviceTwinSettings _settings;
    private readonly TimeProvider _time;
    private DeviceTwinState _state;

    public DeviceTwinActor(string deviceId, DeviceTwinSettings settings)
    {
        _settings = settings;
        _time = settings.Time ?? TimeProvider.System;
        _state = DeviceTwinState.Empty(deviceId);
        PersistenceId = $"device-{deviceId}";
    }

    public override string PersistenceId { get; }

    /// <summary>
    /// Props from the type and arguments, not from an expression: sharding makes one per twin it starts, and
    /// an expression's arguments are compiled on every call. The compact mailbox keeps an idle twin ≈ 1 KB smaller.
    /// </summary>
    public static Props PropsFor(string deviceId, DeviceTwinSettings settings) =>
        Props.Create(typeof(DeviceTwinActor), deviceId, settings).WithMailbox(CompactMailbox.ConfigPath);

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: DeviceTwinSnapshot snapshot }: _state = snapshot.State; break;
            case IDeviceTwinEvent e: _state = _state.Apply(e); break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case DeviceSeen seen:
                (_state, var wasSeen) = _state.Seen(seen.At, _settings.LastSeenResolution);
                if (wasSeen is not null) PersistAndApply(wasSeen, () => { });
                break;
            case RecordDeviceEvents command:
                var recorded = _state.Decide(command);
                Answer(recorded, command.DeviceId, () => DeviceEventsRecorded.Of(command, recorded));
                break;
            case RecordAppsStates command:
                var apps = _state.Decide(command);
                Answer(apps, command.DeviceId, () => new DeviceReportRecorded(command.DeviceId, apps.Events.Count > 0));
                break;
            case RecordSystemInfo command:
                var info = _state.Decide(command);
                Answer(info, command.DeviceId, () => new DeviceReportRecorded(command.DeviceId, info.Events.Count > 0));
                break;
            case RegisterDevice command:
                Answer(_state.Decide(command, _time.GetUtcNow()), command.DeviceId, () => new DeviceRegistered(command.DeviceId));
                break;
            case AssignDeviceView command:
                AssignView(command);
                break;
            case ChangeDeviceGroup command:
                Configure(_state.Decide(command), command.DeviceId);
                break;
            case ConfigureDevice command:
                Configure(_state.Decide(command), command.DeviceId);
                break;
            case RevokeDevice command:
                Revoke(_state.Decide(command, _time.GetUtcNow()), command.DeviceId);
                break;
            case DeleteDevice command:
                Revoke(_state.Decide(command, _time.GetUtcNow()), command.DeviceId);
                break;
            case RenewDeviceCertificate command:
                Certificate(DeviceCertificates.Decide(_state, command, _time.GetUtcNow()), command.DeviceId);
                break;
            case ActivateDeviceCertificate command:
                Certificate(DeviceCertificates.Decide(_state, command, _time.GetUtcNow()), command.DeviceId);
                break;
            case GetDevice:
                Sender.Tell(_state.Details());
                break;
            case SaveSnapshotSuccess saved:
                DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
                break;
            case SaveSnapshotFailure failed:
                Log.Warning(failed.Cause, "saving the snapshot of twin {0} failed; recovery replays more events", _state.DeviceId);
                break;
            case DeleteSnapshotsSuccess:
                break;
            case DeleteSnapshotsFailure failed:
                Log.Warning(failed.Cause, "deleting old snapshots of twin {0} failed", _state.DeviceId);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Answers <see cref="Refused"/>, answers at once when nothing changes, or persists the event and then answers.</summary>
    private void Answer<TEvent>(Decision<TEvent> decision, string deviceId, Func<object> answer) where TEvent : IDeviceTwinEvent
    {
        var replyTo = Sender;
        if (decision.Refusal is { } refusal) replyTo.Tell(new Refused(deviceId, refusal));
        else if (decision.Single is not { } e) replyTo.Tell(answer());
        else PersistAndApply(e, () => replyTo.Tell(answer()));
    }

    /// <summary>A revocation or deletion (one or two events): answered once all are persisted, with the revocation as it stands.</summary>
    private void Revoke(Decision<IDeviceTwinEvent> decision, string deviceId)
    {
        var replyTo = Sender;
        if (decision.Refusal is { } refusal)
        {
            replyTo.Tell(new Refused(deviceId, refusal));
            return;
        }
        var remaining = decision.Events.Count;
        if (remaining == 0) replyTo.Tell(new DeviceRevocationAnswered(deviceId, _state.Revocation!, _state.Deletion, Changed: false));
        foreach (var e in decision.Events)
            PersistAndApply(e, () =>
            {
                if (--remaining > 0) return;
                Log.Info("device {0} revoked by {1} ({2}){3}", deviceId, _state.Revocation!.By, _state.Revocation.Reason,
                    _state.Deletion is { } deleted ? deleted.NameReleased ? "; deleted, name released" : "; deleted, name reserved" : "");
                replyTo.Tell(new DeviceRevocationAnswered(deviceId, _state.Revocation!, _state.Deletion, Changed: true));
            });
    }

    /// <summary>The wave hands out more views only as twins answer: its pace follows the journal's. Refusals are answered too.</summary>
    private void AssignView(AssignDeviceView command)
    {
        var decision = _state.Decide(command);
        var replyTo = Sender;
        var answer = new DeviceViewAnswered(command.DeviceId, command.Tag, command.View, decision.Refusal);
        if (decision.Refusal is { } refusal) Log.Warning("view {0} not assigned to {1}: {2}", command.View ?? "production", command.DeviceId, refusal);
        if (decision.Single is not { } assigned) replyTo.Tell(answer);
        else PersistAndApply(assigned, () =>
        {
            PublishServed();
            replyTo.Tell(answer);
        });
    }

    /// <summary>An operator's change of group or config: answered with the config the device follows now.</summary>
    private void Configure(Decision<DeviceConfigChanged> decision, string deviceId) =>
        Answer(decision, deviceId, () =>
        {
            var changed = decision.Events.Count > 0;
            if (changed) PublishServed();
            return new DeviceConfigured(deviceId, changed, _state.Group, _state.Config()!, _state.ConfigSource());
        });

    /// <summary>A certificate renewed or activated: persisted, then every gateway's cache hears of it, then the gateway asking is answered.</summary>
    private void Certificate(Decision<IDeviceCertificateEvent> decision, string deviceId) =>
        Answer(decision, deviceId, () =>
        {
            var answer = new DeviceCertificateAnswered(deviceId, _state.Registration!);
            if (decision.Events.Count > 0)
                DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(DeviceCertificates.Topic, new DeviceCertificateChanged(deviceId, _state.Registration!)));
            return answer;
        });

    /// <summary>Tells every gateway what to serve the device now (view, operator's config): they cache it and never ask again.</summary>
    private void PublishServed() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(DeviceTopics.Views, new DeviceViewChanged(_state.DeviceId, _state.View, _state.OperatorConfig())));

    private void PersistAndApply(IDeviceTwinEvent e, Action done) =>
        Persist(e, persisted =>
        {
            _state = _state.Apply(persisted);
            if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(new DeviceTwinSnapshot(_state));
            done();
        });
}
