namespace FleetOrchestrator.ControlPlane.Waves;

/// <summary>The waves singleton (HOCON <c>fleet.waves</c>).</summary>
/// <param name="EvaluateInterval">How often running stages are evaluated (fleet table read, gates, ramp).</param>
/// <param name="SnapshotEvery">The singleton saves a snapshot after this many events.</param>
/// <param name="RegistryAskTimeout">How long the target registry may take to open, promote or close a wave's view.</param>
/// <param name="AssigningWindow">
/// At most this many views handed out whose twins have not answered: every twin persists its view in the shared journal,
/// and handing 100,000 out at once overflows the journal's queue (writes time out, twins and singletons stop).
/// </param>
/// <param name="TwinAnswerTimeout">Without any twin's answer for this long, views still unanswered are counted as lost (a twin stopped).</param>
/// <param name="Time">The clock of stage timing; null: the system clock.</param>
public sealed record WavesSettings(TimeSpan EvaluateInterval, int SnapshotEvery, TimeSpan RegistryAskTimeout, int AssigningWindow, TimeSpan TwinAnswerTimeout,
    TimeProvider? Time = null);
