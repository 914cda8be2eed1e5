using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Waves;

namespace FleetOrchestrator.ControlPlane.Tests.Waves;

public sealed class WavesDecisionsTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);

    [Fact]
    public void One_open_wave_per_tag_and_names_are_checked()
    {
        var waves = WavesDecisions.Apply(WavesDecisions.Empty, new WaveInitialized("w1", "prod", "2", "acme-2", Start));
        Assert.Equal("tag prod already has an open wave: w1 (Active)", WavesDecisions.Init(waves, new InitWave("w2", "3", "prod")).Refusal);
        Assert.Null(WavesDecisions.Init(waves, new InitWave("w2", "3", "beta")).Refusal);
        Assert.Empty(WavesDecisions.Init(waves, new InitWave("w2", "3", "beta")).Events); // the registry opens the view first
        Assert.Equal("wave w1 already exists (Active)", WavesDecisions.Init(waves, new InitWave("w1", "3", "beta")).Refusal);
        Assert.StartsWith("invalid wave name", WavesDecisions.Init(waves, new InitWave("../x", "3", "beta")).Refusal);
        Assert.Equal("\"production\" is reserved", WavesDecisions.Init(waves, new InitWave("production", "3", "beta")).Refusal);

        waves = WavesDecisions.Apply(waves, new WaveStatusChanged("w1", WaveStatus.Cancelled, "cancelled", Start));
        Assert.Null(WavesDecisions.Init(waves, new InitWave("w2", "3", "prod")).Refusal);
        Assert.Equal("wave w1 is Cancelled", WavesDecisions.Rollout(waves, new RolloutWave("w1", new StageSelection(), new StageGates())).Refusal);
    }

    [Fact]
    public void Commands_on_a_wave_are_decided_from_its_status()
    {
        var waves = WavesDecisions.Apply(WavesDecisions.Empty, new WaveInitialized("w", "prod", "2", "acme-2", Start));

        Assert.Equal([new WaveStageAdded("w", new StageSelection(Count: 1), new StageGates())],
            WavesDecisions.Rollout(waves, new RolloutWave("w", new StageSelection(Count: 1), new StageGates())).Events);
        Assert.Equal("count must be at least 1, found 0", WavesDecisions.Rollout(waves, new RolloutWave("w", new StageSelection(Count: 0), new StageGates())).Refusal);
        var paused = Assert.IsType<WaveStatusChanged>(WavesDecisions.Pause(waves, new PauseWave("w"), Start).Single);
        Assert.Equal((WaveStatus.Paused, "paused by an operator"), (paused.Status, paused.Reason));
        Assert.Empty(WavesDecisions.Resume(waves, new ResumeWave("w"), Start).Events); // active, no stage to accept: nothing changes

        waves = WavesDecisions.Apply(waves, paused);
        Assert.Equal("wave w is Paused", WavesDecisions.Pause(waves, new PauseWave("w"), Start).Refusal);
        Assert.Equal(WaveStatus.Active, Assert.IsType<WaveStatusChanged>(WavesDecisions.Resume(waves, new ResumeWave("w"), Start).Single).Status);
        Assert.Equal("no wave x", WavesDecisions.End(waves, new CancelWave("x")).Refusal);
        Assert.Empty(WavesDecisions.End(waves, new CancelWave("w")).Events); // the registry closes the view first
    }

    [Fact]
    public void Resume_accepts_a_tripped_stage_and_activates_the_paused_wave()
    {
        var tally = new StageTally(3, 2, 1, 1, 0, false);
        var waves = new IWaveEvent[]
        {
            new WaveInitialized("w", "prod", "2", "acme-2", Start),
            new WaveStageAdded("w", new StageSelection(), new StageGates()),
            new WaveStageStarted("w", 0, ["a", "b", "c"], Start),
            new WaveStageDecided("w", 0, StageStatus.Tripped, "failed", null, tally),
            new WaveStatusChanged("w", WaveStatus.Paused, "stage 0: failed", Start),
        }.Aggregate(WavesDecisions.Empty, WavesDecisions.Apply);

        Assert.Equal(
            [new WaveStageDecided("w", 0, StageStatus.Passed, "accepted by an operator", null, tally), new WaveStatusChanged("w", WaveStatus.Active, "resumed by an operator", Start)],
            WavesDecisions.Resume(waves, new ResumeWave("w"), Start).Events);
    }

    [Fact]
    public void The_registry_answer_makes_the_event_of_a_view_change()
    {
        var waves = WavesDecisions.Apply(WavesDecisions.Empty, new WaveInitialized("w", "prod", "2", "acme-2", Start));
        var changed = new WaveViewChanged("prod", "w", "acme-2", 3);

        Assert.Equal(new WaveInitialized("w2", "beta", "2", "acme-2", Start), WavesDecisions.ViewChanged(waves, new InitWave("w2", "2", "beta"), changed, Start).Single);
        Assert.Equal(new WaveStatusChanged("w", WaveStatus.Completed, "acme-2 is production for tag prod", Start), WavesDecisions.ViewChanged(waves, new CompleteWave("w"), changed, Start).Single);
        Assert.Equal(new WaveStatusChanged("w", WaveStatus.Aborted, "aborted by an operator; acme-2 is withdrawn and its devices go back to production", Start),
            WavesDecisions.ViewChanged(waves, new AbortWave("w", Rollback: true), changed, Start).Single);
    }

    [Fact]
    public void A_twin_takes_a_wave_view_only_for_its_own_tag_and_once()
    {
        var registered = DeviceTwinState.Empty("d1").Apply(new DeviceWasRegistered("d1", new DeviceRegistration("generic", "prod", "fp", Start)));
        Assert.Equal(Tuf.Repository.TufRepository.ProductionView, registered.ServedView());

        var assigned = registered.Decide(new AssignDeviceView("d1", "prod", "wave-1"));
        Assert.Null(assigned.Refusal);
        var inWave = registered.Apply(assigned.Single!);
        Assert.Equal("wave-1", inWave.ServedView());
        Assert.Equal(registered.LastSeen, inWave.LastSeen); // not a contact with the device
        Assert.Null(inWave.Decide(new AssignDeviceView("d1", "prod", "wave-1")).Single);
        Assert.Equal("device \"d1\" has tag prod, not beta", inWave.Decide(new AssignDeviceView("d1", "beta", "wave-9")).Refusal);
        Assert.Equal("device \"d2\" is not registered", DeviceTwinState.Empty("d2").Decide(new AssignDeviceView("d2", "prod", "wave-1")).Refusal);

        var back = inWave.Apply(inWave.Decide(new AssignDeviceView("d1", "prod", null)).Single!);
        Assert.Equal(Tuf.Repository.TufRepository.ProductionView, back.ServedView());
    }
}
