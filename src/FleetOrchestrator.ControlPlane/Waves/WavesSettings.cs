namespace FleetOrchestrator.ControlPlane.Waves;

/// <param name="EvaluateEvery">How often running stages are evaluated (fleet table read, gates, ramp).</param>
/// <param name="AssigningWindow">
/// At most this many views handed out whose twins have not answered: every twin persists its view in the shared journal,
/// and handing 100,000 out at once overflows the journal's queue (writes time out, twins and singletons stop).
/// </param>
/// <param name="AnswerTimeout">Without any twin's answer for this long, views still unanswered are counted as lost (a twin stopped).</param>
public sealed record WavesSettings(TimeSpan? EvaluateEvery = null, int SnapshotEvery = 100, TimeProvider? Time = null, TimeSpan? RegistryTimeout = null,
    int AssigningWindow = 1000, TimeSpan? AnswerTimeout = null)
{
    public TimeSpan EvaluateInterval => EvaluateEvery ?? TimeSpan.FromSeconds(5);
    public TimeSpan RegistryAskTimeout => RegistryTimeout ?? TimeSpan.FromSeconds(30);
    public TimeSpan TwinAnswerTimeout => AnswerTimeout ?? TimeSpan.FromSeconds(30);
}
