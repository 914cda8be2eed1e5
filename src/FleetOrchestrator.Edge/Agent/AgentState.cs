using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>How far an update got; a restart continues from here (or finishes the rollback).</summary>
public enum UpdatePhase
{
    Begun,
    Fetched,
    Installed,
    Started,
    RollingBack,
}

/// <summary>An update under way: <see cref="Previous"/> is what a rollback restores.</summary>
public sealed record UpdateInProgress(string CorrelationId, DeviceTarget Target, DeviceTarget? Previous, IReadOnlyList<string> Install,
    IReadOnlyList<string> Remove, UpdatePhase Phase, string? RollbackReason);

/// <summary>The DeviceAgent's persistent state: pure, rebuilt from its events.</summary>
/// <param name="LastReport">The closing event of the last update, queued again after a restart (the outbox drops an id it knows).</param>
/// <param name="Config">The operator's config the gateway's <c>/config</c> last gave (null: none, edge.conf's tag and apps apply).</param>
public sealed record AgentState(DeviceTarget? Current, UpdateInProgress? Update, IReadOnlySet<string> FailedTargets, DateTimeOffset? LastCheckIn,
    DeviceEvent? LastReport = null, DeviceConfig? Config = null)
{
    public static AgentState Empty { get; } = new(null, null, new HashSet<string>(StringComparer.Ordinal), null);

    public static AgentState From(DeviceAgentSnapshot snapshot) =>
        new(snapshot.Current, snapshot.Update, new HashSet<string>(snapshot.FailedTargets, StringComparer.Ordinal), snapshot.LastCheckIn, snapshot.LastReport, snapshot.Config);

    public DeviceAgentSnapshot ToSnapshot() => new(Current, Update, FailedTargets.Order(StringComparer.Ordinal).ToArray(), LastCheckIn, LastReport, Config);

    public AgentState Apply(object e) => e switch
    {
        UpdateBegun begun => this with
        {
            Update = new UpdateInProgress(begun.CorrelationId, begun.Target, Current, begun.Install, begun.Remove, UpdatePhase.Begun, null),
        },
        UpdateFetched f when Is(f.CorrelationId) => WithPhase(UpdatePhase.Fetched),
        UpdateInstalled i when Is(i.CorrelationId) => WithPhase(UpdatePhase.Installed),
        UpdateStarted s when Is(s.CorrelationId) => WithPhase(UpdatePhase.Started),
        RollbackBegun r when Is(r.CorrelationId) => this with { Update = Update! with { Phase = UpdatePhase.RollingBack, RollbackReason = r.Reason } },
        UpdateConfirmed c when Is(c.CorrelationId) => this with { Current = Update!.Target, Update = null, LastReport = c.Report },
        UpdateAbandoned a when Is(a.CorrelationId) => this with
        {
            Update = null,
            LastReport = a.Report,
            FailedTargets = a.MarkFailed ? new HashSet<string>(FailedTargets, StringComparer.Ordinal) { Update!.Target.Name } : FailedTargets,
        },
        FailedTargetsCleared => this with { FailedTargets = new HashSet<string>(StringComparer.Ordinal) },
        CheckedIn c => this with { LastCheckIn = c.At },
        ConfigReceived c => this with { Config = c.Config },
        _ => this,
    };

    private bool Is(string correlationId) => Update?.CorrelationId == correlationId;

    private AgentState WithPhase(UpdatePhase phase) => this with { Update = Update! with { Phase = phase } };

    /// <summary>The update a cycle must do for <paramref name="target"/> with <paramref name="selection"/> applied; null when the device already runs exactly that.</summary>
    public UpdateBegun? Plan(TargetCandidate target, IReadOnlyCollection<string>? selection, string correlationId, DateTimeOffset at)
    {
        var installed = Current?.Apps ?? new Dictionary<string, string>();
        var plan = UpdateDecision.Decide(installed, target.Apps, selection);
        var apps = plan.Start.ToDictionary(app => app, app => target.Apps[app], StringComparer.Ordinal);
        if (Current?.Name == target.Name && plan.ChangesNothing) return null;
        return new UpdateBegun(correlationId, new DeviceTarget(target.Name, target.Version, apps), plan.Install, plan.Remove, at);
    }
}
