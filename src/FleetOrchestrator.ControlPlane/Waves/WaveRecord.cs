namespace FleetOrchestrator.ControlPlane.Waves;

/// <summary>One stage of a wave as recorded: its devices (in release order), how many were handed the target, and the last gate decision.</summary>
public sealed record WaveStageRecord(
    StageSelection Selection,
    StageGates Gates,
    StageStatus Status,
    IReadOnlyList<string> Devices,
    int Released,
    DateTimeOffset? StartedAt,
    DateTimeOffset? SuccessReachedAt,
    StageTally? Tally,
    string? Reason);

public sealed record WaveRecord(string Wave, string Tag, string Version, string Target, WaveStatus Status, string? Reason, IReadOnlyList<WaveStageRecord> Stages)
{
    public bool IsOpen => Status is WaveStatus.Active or WaveStatus.Paused;

    public IEnumerable<string> Devices => Stages.SelectMany(s => s.Devices);

    /// <summary>The stage being run: the first one that has not passed; null when all passed (or there are none).</summary>
    public int? CurrentStage
    {
        get
        {
            for (var i = 0; i < Stages.Count; i++)
                if (Stages[i].Status != StageStatus.Passed) return i;
            return null;
        }
    }

    public WaveSummary Summary() => new(Wave, Tag, Version, Target, Status, Reason,
        Stages.Select((s, i) => new StageSummary(i, s.Selection, s.Gates, s.Status, s.Devices.Count, s.Released, s.Tally, s.Reason)).ToList(),
        Stages.Sum(s => s.Devices.Count));
}
