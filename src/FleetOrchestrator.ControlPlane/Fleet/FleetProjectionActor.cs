using Akka.Actor;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using FleetOrchestrator.ControlPlane.Devices;

namespace FleetOrchestrator.ControlPlane.Fleet;

/// <summary>How the projection batches (HOCON <c>fleet.fleet-table</c>): up to <see cref="BatchSize"/> events or <see cref="BatchWindow"/>, whichever comes first, per transaction.</summary>
public sealed record FleetProjectionSettings(int BatchSize, TimeSpan BatchWindow);

/// <summary>
/// Keeps the <see cref="FleetTable"/> up to date from the device twin events in the journal (EventsByTag
/// over Akka.Persistence.Sql's read journal), resuming from the offset stored with the rows. One per
/// cluster (a singleton on the fleet role): a single writer. The stream restarts with backoff after a
/// failure, from the stored offset.
/// </summary>
public sealed class FleetProjectionActor : ReceiveActor
{
    public const string ProjectionName = "fleet-table";

    private sealed record Applied(long Offset);

    private readonly FleetTable _table;
    private readonly FleetProjectionSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private UniqueKillSwitch? _stream;
    private long _offset;

    public FleetProjectionActor(FleetTable table, FleetProjectionSettings settings)
    {
        _table = table;
        _settings = settings;
        Receive<Applied>(applied => _offset = applied.Offset);
        Receive<GetFleetProjectionOffset>(_ => Sender.Tell(new FleetProjectionOffset(_offset)));
    }

    public static Props PropsFor(FleetTable table, FleetProjectionSettings settings) => Props.Create(() => new FleetProjectionActor(table, settings));

    protected override void PreStart()
    {
        var journal = PersistenceQuery.Get(Context.System).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var self = Self;
        var log = _log;
        _stream = RestartSource.OnFailuresWithBackoff(() =>
                    Source.FromTask(_table.OffsetAsync(ProjectionName))
                        .ConcatMany(offset =>
                        {
                            log.Info("fleet projection resumes after journal offset {0}", offset);
                            return journal.EventsByTag(DeviceTwinTagger.Tag, Offset.Sequence(offset));
                        })
                        .GroupedWithin(_settings.BatchSize, _settings.BatchWindow)
                        .SelectAsync(1, batch => _table.ApplyAsync(ProjectionName, batch.ToList())),
                RestartSettings.Create(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2))
            .ViaMaterialized(KillSwitches.Single<long>(), Keep.Right)
            .ToMaterialized(Sink.ForEach<long>(offset => self.Tell(new Applied(offset))), Keep.Left)
            .Run(Context.System.Materializer());
    }

    protected override void PostStop() => _stream?.Shutdown();
}
