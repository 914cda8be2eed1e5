using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.Infrastructure.Hosting;

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
            {
                var (recorded, duplicates, refusal) = _state.Decide(command);
                Reply(recorded, refusal, command.DeviceId, () => new DeviceEventsRecorded(command.DeviceId, recorded?.Events.Count ?? 0, duplicates));
                break;
            }
            case RecordAppsStates command:
            {
                var (changed, refusal) = _state.Decide(command);
                Reply(changed, refusal, command.DeviceId, () => new DeviceReportRecorded(command.DeviceId, changed is not null));
                break;
            }
            case RecordSystemInfo command:
            {
                var (changed, refusal) = _state.Decide(command);
                Reply(changed, refusal, command.DeviceId, () => new DeviceReportRecorded(command.DeviceId, changed is not null));
                break;
            }
            case RegisterDevice command:
            {
                var (registered, refusal) = _state.Decide(command, _time.GetUtcNow());
                if (registered is null) Sender.Tell(new DeviceRegistrationRefused(command.DeviceId, refusal!));
                else
                {
                    var replyTo = Sender;
                    PersistAndApply(registered, () => replyTo.Tell(new DeviceRegistered(command.DeviceId)));
                }
                break;
            }
            case Waves.AssignDeviceView command:
            {
                // The wave hands out more views only as twins answer: its pace follows the journal's.
                var (assigned, refusal) = _state.Decide(command);
                var replyTo = Sender;
                var answer = new Waves.DeviceViewAnswered(command.DeviceId, command.Tag, command.View, refusal);
                if (refusal is not null) Log.Warning("view {0} not assigned to {1}: {2}", command.View ?? "production", command.DeviceId, refusal);
                if (assigned is null) replyTo.Tell(answer);
                else PersistAndApply(assigned, () =>
                {
                    PublishServed();
                    replyTo.Tell(answer);
                });
                break;
            }
            case ChangeDeviceGroup command:
            {
                var (changed, refusal) = _state.Decide(command);
                ReplyAndPublish(changed, refusal, command.DeviceId);
                break;
            }
            case ConfigureDevice command:
            {
                var (changed, refusal) = _state.Decide(command);
                ReplyAndPublish(changed, refusal, command.DeviceId);
                break;
            }
            case GetDevice:
                Sender.Tell(new DeviceView(_state.DeviceId, _state));
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

    /// <summary>Refuses, answers at once when nothing changes, or persists the event and then answers.</summary>
    private void Reply(IDeviceTwinEvent? e, string? refusal, string deviceId, Func<object> answer)
    {
        var replyTo = Sender;
        if (refusal is not null) replyTo.Tell(new DeviceReportRefused(deviceId, refusal));
        else if (e is null) replyTo.Tell(answer());
        else PersistAndApply(e, () => replyTo.Tell(answer()));
    }

    private void ReplyAndPublish(DeviceConfigChanged? changed, string? refusal, string deviceId) =>
        Reply(changed, refusal, deviceId, () =>
        {
            if (changed is not null) PublishServed();
            return new DeviceReportRecorded(deviceId, changed is not null);
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
