using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace FleetOrchestrator.ControlPlane.Audit;

/// <summary>
/// Reads pages of the audit journal through Akka.Persistence.Query, newest first, in bounded chunks of sequence
/// numbers: a page never holds more than one chunk and its matches in memory, however long the journal.
/// </summary>
public sealed class AuditReader(ActorSystem system)
{
    /// <summary>Entries read per journal query.</summary>
    public const int Chunk = 256;

    /// <summary>A page of <paramref name="query"/> in a journal whose newest entry is <paramref name="newest"/>.</summary>
    public async Task<AuditPage> ReadAsync(long newest, AuditQuery query, CancellationToken cancellation = default)
    {
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var materializer = system.Materializer();
        var scan = new AuditScan(query);
        for (var to = query.StartAt(newest); to >= 1 && !scan.Done; to -= Chunk)
        {
            var events = await journal.CurrentEventsByPersistenceId(AuditJournalActor.Id, Math.Max(1, to - Chunk + 1), to)
                .RunWith(Sink.Seq<EventEnvelope>(), materializer);
            cancellation.ThrowIfCancellationRequested();
            foreach (var envelope in events.OrderByDescending(e => e.SequenceNr))
            {
                if (envelope.Event is not AuditEntryRecorded recorded) continue;
                scan.Offer(envelope.SequenceNr, recorded.Entry);
                if (scan.Done) break;
            }
        }
        return scan.Page();
    }
}
