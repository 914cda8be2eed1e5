using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Targets;

/// <summary>
/// A registry state that tests change step by step, as the registry does: CI published acme-1 for main and prod and
/// acme-2 for main only ("prod" devices get targets only through waves or <c>targets tag</c>).
/// </summary>
public abstract class RepositoryScenario
{
    protected RepositoryScenario()
    {
        Test = new TestRepository(time: Time);
        State = TargetsDecisions.Initial(Test.Root);
        Apply(r => TargetsDecisions.Record(r, Test.Signers, Time, TestRepository.Target("acme-1", "one", "main", "prod")));
        Apply(r => TargetsDecisions.Record(r, Test.Signers, Time, TestRepository.Target("acme-2", "two", "main")));
    }

    protected ManualTime Time { get; } = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    protected TestRepository Test { get; }
    protected RepositoryState State { get; set; }

    protected TufRepository Repository => TufRepository.Load(State, Test.Signers, Test.Repository.Options, Time);

    /// <summary>Applies the events of an accepted decision (a refusal fails the test) and returns its answer.</summary>
    protected TAnswer Apply<TAnswer>(Func<TufRepository, Decision<TagSigned, TAnswer>> change)
    {
        var decision = change(Repository);
        Assert.Null(decision.Refusal);
        State = decision.Events.Aggregate(State, TargetsDecisions.Apply);
        return decision.Answer!;
    }

    /// <summary>The targets metadata served to devices of <paramref name="tag"/> in <paramref name="view"/>, verified against root v1.</summary>
    protected TargetsMetadata Served(string tag, string view = TufRepository.ProductionView) =>
        TestRepository.VerifiedTargets(Test.Root, TargetsDecisions.MetadataOf(State, revision: 1).Views.Single(v => v.Tag == tag && v.View == view));
}
