using Akka.Event;
using Akka.Persistence;

namespace FleetOrchestrator.Infrastructure.Persistence;

/// <summary>
/// A persistent actor that cleans up after each snapshot it saves, in one of two ways: control-plane singletons keep
/// their events (the journal is their history) and drop older snapshots; the device's journals drop the
/// events a snapshot covers, so a small board's SQLite file stays small.
/// </summary>
public abstract class SnapshottingPersistentActor : ReceivePersistentActor
{
    /// <summary>After a snapshot is saved, older snapshots are deleted; failures are logged and change nothing else.</summary>
    protected void KeepOnlyLatestSnapshot(string what)
    {
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => Log.Warning(f.Cause, "saving the {0} snapshot failed; recovery replays more events", what));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => Log.Warning(f.Cause, "deleting old {0} snapshots failed", what));
    }

    /// <summary>After a snapshot is saved, the events it covers are deleted; failures are logged and change nothing else.</summary>
    protected void DeleteEventsCoveredBySnapshots(string what)
    {
        Command<SaveSnapshotSuccess>(s => DeleteMessages(s.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(f => Log.Warning("{0} snapshot failed: {1}", what, f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => Log.Warning("{0} journal cleanup failed: {1}", what, f.Cause.Message));
    }
}
