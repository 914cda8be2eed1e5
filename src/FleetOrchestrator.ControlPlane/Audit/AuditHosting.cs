using Akka.Cluster.Hosting;
using Akka.Hosting;

namespace FleetOrchestrator.ControlPlane.Audit;

public static class AuditHosting
{
    /// <summary>
    /// The <see cref="AuditJournalActor"/> singleton, on any node (every node runs a command host that appends to it),
    /// and a proxy to it on every node, registered in the <see cref="ActorRegistry"/> under <see cref="AuditJournalActor"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithAuditJournal(this AkkaConfigurationBuilder builder) =>
        builder.WithSingleton<AuditJournalActor>("audit-journal", AuditJournalActor.SupervisedProps(), new ClusterSingletonOptions(), createProxyToo: true);
}
