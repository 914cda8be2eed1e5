using Akka.Actor;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Edge.Agent;

// ---- outcomes of the agent's I/O, told to the DeviceAgent

public sealed record CheckDone(TargetsChecked Targets, bool RetryFailed);
public sealed record CheckFailed(Exception Error);
/// <summary>The step after a recorded phase reached <paramref name="Phase"/>: it is to be recorded.</summary>
public sealed record StepDone(string CorrelationId, UpdatePhase Phase);
/// <summary>The step that was to reach <paramref name="Phase"/> failed.</summary>
public sealed record StepFailed(string CorrelationId, UpdatePhase Phase, Exception Error);
public sealed record HealthHeld(string CorrelationId, string? Problem);
public sealed record ConfirmDone(string CorrelationId, string Notes);
public sealed record RolledBack(string CorrelationId, string? Problem);
/// <summary>The app states read after a cycle (null when they could not be read), and who waits for that cycle's end.</summary>
public sealed record StatesRead(AppsStatesReport? Report, IReadOnlyList<IActorRef> Waiting, CycleFinished Finished);
public sealed record SystemInfoRead(SystemInfoReport Info);
/// <summary>The certificate check of a cycle: <paramref name="RenewedUntil"/> is the new certificate's end, null when none was due.</summary>
public sealed record CertificateChecked(DateTimeOffset? RenewedUntil);
public sealed record CertificateRenewalFailed(Exception Error);

/// <summary>
/// Runs the <see cref="DeviceAgentActor"/>'s I/O (<see cref="UpdateSteps"/>) off the actor and tells the agent each
/// outcome as one of the messages above; a step that throws becomes its failure. Everything under way is cancelled on <see cref="Stop"/>.
/// </summary>
public sealed class UpdateStepRunner(UpdateSteps steps, EdgeSettings settings, IActorRef agent)
{
    private readonly CancellationTokenSource _stopping = new();

    private CancellationToken Ct => _stopping.Token;

    public void Check(DeviceConfig config, bool retryFailed) =>
        steps.CheckAsync(config, Ct).PipeTo(agent, success: targets => new CheckDone(targets, retryFailed), failure: e => new CheckFailed(e));

    /// <summary>Runs the step after <paramref name="update"/>'s recorded phase; the fetch runs in an <see cref="UpdateFetchActor"/> child of the agent.</summary>
    public void RunAfter(UpdateInProgress update, IActorContext agentContext)
    {
        var id = update.CorrelationId;
        switch (update.Phase)
        {
            case UpdatePhase.Begun:
                agentContext.ActorOf(UpdateFetchActor.PropsFor(update, steps.FetchAppAsync, settings), $"fetch-{id}");
                break;
            case UpdatePhase.Fetched:
                Run(id, UpdatePhase.Installed, steps.InstallAsync(update, Ct));
                break;
            case UpdatePhase.Installed:
                Run(id, UpdatePhase.Started, steps.StartAsync(update.Target, update.Install, Ct));
                break;
            case UpdatePhase.Started:
                steps.HoldHealthyAsync(update.Target, Ct).PipeTo(agent, success: problem => new HealthHeld(id, problem), failure: e => new HealthHeld(id, e.Message));
                break;
            case UpdatePhase.RollingBack:
                steps.RollBackAsync(update, Ct).PipeTo(agent, success: problem => new RolledBack(id, problem), failure: e => new RolledBack(id, e.Message));
                break;
        }
    }

    public void Confirm(UpdateInProgress update) =>
        steps.ConfirmAsync(update, Ct).PipeTo(agent, success: notes => new ConfirmDone(update.CorrelationId, notes),
            failure: e => new ConfirmDone(update.CorrelationId, $"clean-up failed: {e.Message}"));

    public void ReadStates(DeviceTarget? current, IReadOnlyList<IActorRef> waiting, CycleFinished finished) =>
        steps.ReadStatesAsync(current, Ct).PipeTo(agent, success: report => new StatesRead(report, waiting, finished), failure: _ => new StatesRead(null, waiting, finished));

    /// <summary>A failure reaches the agent as <see cref="Status.Failure"/>.</summary>
    public void ReadSystemInfo() => steps.SystemInfoAsync(Ct).PipeTo(agent, success: info => new SystemInfoRead(info));

    /// <summary>Renews the device certificate when it is due; never in the way of updates (a failure is retried next cycle).</summary>
    public void RenewCertificateIfDue() =>
        steps.Certificates.RenewIfDueAsync(Ct).PipeTo(agent, success: until => new CertificateChecked(until), failure: e => new CertificateRenewalFailed(e));

    public void Stop() => _stopping.Cancel();

    private void Run(string correlationId, UpdatePhase reached, Task step) =>
        step.PipeTo(agent, success: () => new StepDone(correlationId, reached), failure: e => new StepFailed(correlationId, reached, e));
}
