using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;

namespace FleetOrchestrator.ControlPlane.Audit;

/// <summary>
/// The operator audit journal (a cluster singleton, persistence id <see cref="Id"/>): appends each entry the command
/// hosts of every node send and acknowledges it once persisted. Its only state is the journal's highest sequence
/// number, which recovery reads without replaying an event (<see cref="Recovery.None"/>), so the journal may grow
/// without bound and needs no snapshot; nothing deletes or rewrites an event. Readers page through the journal with
/// <see cref="AuditReader"/>.
/// </summary>
public sealed class AuditJournalActor : ReceivePersistentActor
{
    public const string Id = "audit-journal";

    private readonly ILoggingAdapter _log = Context.GetLogger();

    public AuditJournalActor()
    {
        Command<RecordAuditEntry>(record =>
        {
            var replyTo = Sender;
            Persist(new AuditEntryRecorded(record.Entry), _ => replyTo.Tell(new AuditEntryStored(LastSequenceNr)));
        });
        Command<GetAuditHead>(_ => Sender.Tell(new AuditHead(LastSequenceNr)));
    }

    public override string PersistenceId => Id;

    /// <summary>No events replayed: the sequence number recovery reads is all this actor needs.</summary>
    public override Recovery Recovery => Recovery.None;

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // The writer's ask times out and its command answers that the entry was not recorded; the supervisor restarts this actor.
        _log.Error(cause, "audit entry {0} could not be persisted", sequenceNr);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>Under a backoff supervisor: a journal failure stops the actor, and a cluster singleton would not start it again.</summary>
    public static Props SupervisedProps() => BackoffSupervisor.Props(Backoff.OnStop(
        Props.Create(() => new AuditJournalActor()), "journal", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2, maxNrOfRetries: -1));
}
