using System.Text.Json.Serialization;
using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Waves;

// ---- commands (answered with WaveAccepted, or Protocol.Decisions.Refused) --------------------------

/// <summary>An operator command about one wave.</summary>
public interface IWaveCommand : IFleetMessage
{
    string Wave { get; }
}

/// <summary>A wave takes the recorded target of <see cref="Version"/> to the devices of <see cref="Tag"/>, stage by stage. One active wave per tag.</summary>
public sealed record InitWave(string Wave, string Version, string Tag) : IWaveCommand;

/// <summary>Adds a stage; it starts at once when every earlier stage passed, else when they have.</summary>
public sealed record RolloutWave(string Wave, StageSelection Selection, StageGates Gates) : IWaveCommand;

public sealed record PauseWave(string Wave) : IWaveCommand;

/// <summary>Continues a paused wave; a tripped stage or one waiting for approval is accepted and the next stage starts.</summary>
public sealed record ResumeWave(string Wave) : IWaveCommand;

/// <summary>
/// Stops the wave; its devices go back to the production view. They keep what they installed, unless
/// <see cref="Rollback"/>: then the wave's target is withdrawn and they install the newest production target again.
/// </summary>
public sealed record AbortWave(string Wave, bool Rollback) : IWaveCommand;

/// <summary>The wave's target becomes production for the whole tag.</summary>
public sealed record CompleteWave(string Wave) : IWaveCommand;

/// <summary>Ends the wave without changing production; devices stay where they are.</summary>
public sealed record CancelWave(string Wave) : IWaveCommand;

public sealed record GetWave(string Wave) : IFleetMessage;

/// <summary>The devices of one stage of a wave, in release order (answered with <see cref="WaveDevices"/> or <see cref="Protocol.Decisions.Refused"/>).</summary>
public sealed record GetWaveDevices(string Wave, int Stage) : IFleetMessage;

public sealed record WaveDevices(string Wave, int Stage, IReadOnlyList<string> DeviceIds, int Released) : IFleetMessage;

public sealed record ListWaves : IFleetMessage
{
    public static ListWaves Instance { get; } = new();
}

public sealed record WaveAccepted(WaveSummary Wave) : IFleetMessage;

public sealed record WaveList(IReadOnlyList<WaveSummary> Waves) : IFleetMessage;

/// <summary>A wave as operators see it: its stages with the last gate decision and tallies.</summary>
public sealed record WaveSummary(string Wave, string Tag, string Version, string Target, WaveStatus Status, string? Reason, IReadOnlyList<StageSummary> Stages, int Devices);

public sealed record StageSummary(int Index, StageSelection Selection, StageGates Gates, StageStatus Status, int Devices, int Released, StageTally? Tally, string? Reason);

// Written by name (journal, pbm --json): readable, and stable if members are ever reordered.
[JsonConverter(typeof(JsonStringEnumConverter<WaveStatus>))]
public enum WaveStatus { Active, Paused, Completed, Cancelled, Aborted }

[JsonConverter(typeof(JsonStringEnumConverter<StageStatus>))]
public enum StageStatus { Pending, Running, Baking, AwaitingApproval, Passed, Tripped }

// ---- persisted events -------------------------------------------------------------------------------

public interface IWaveEvent : IFleetMessage
{
    string Wave { get; }
}

public sealed record WaveInitialized(string Wave, string Tag, string Version, string Target, DateTimeOffset At) : IWaveEvent;

public sealed record WaveStageAdded(string Wave, StageSelection Selection, StageGates Gates) : IWaveEvent;

public sealed record WaveStageStarted(string Wave, int Stage, IReadOnlyList<string> DeviceIds, DateTimeOffset At) : IWaveEvent;

public sealed record WaveDevicesReleased(string Wave, int Stage, IReadOnlyList<string> DeviceIds) : IWaveEvent;

public sealed record WaveStageDecided(string Wave, int Stage, StageStatus Status, string Reason, DateTimeOffset? SuccessReachedAt, StageTally Tally) : IWaveEvent;

public sealed record WaveStatusChanged(string Wave, WaveStatus Status, string Reason, DateTimeOffset At) : IWaveEvent;

public sealed record WavesSnapshot(IReadOnlyList<WaveRecord> Waves) : IFleetMessage;
