using FleetOrchestrator.ControlPlane.Waves;

namespace FleetOrchestrator.ControlPlane.Tests.Waves;

public sealed class RolloutGateTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);

    /// <summary>A stage from a compact spelling: 's' succeeded, 'f' failed, 'u' updating, 'q' queued; upper case: left the group.</summary>
    private static List<StageDevice> Devices(string spelling) => spelling.Select((c, i) => new StageDevice($"d{i}", char.ToLowerInvariant(c) switch
    {
        's' => DeviceRolloutStatus.Succeeded,
        'f' => DeviceRolloutStatus.Failed,
        'u' => DeviceRolloutStatus.Updating,
        _ => DeviceRolloutStatus.Queued,
    }, Left: char.IsUpper(c))).ToList();

    public static TheoryData<string, StageGates, string, int, GateOutcome> Cases => new()
    {
        // name, gates, devices, minutes since stage start, expected
        { "empty stage passes", new StageGates(), "", 0, GateOutcome.Passed },
        { "all left before reporting: nothing to wait for", new StageGates(), "UUQ", 0, GateOutcome.Passed },
        { "all updating: wait", new StageGates(), "uuuu", 0, GateOutcome.Waiting },
        { "all succeeded: pass", new StageGates(), "ssss", 0, GateOutcome.Passed },
        { "success exactly at the threshold passes", new StageGates(SuccessPercent: 75, FailurePercent: null), "sssu", 0, GateOutcome.Passed },
        { "just below the success threshold waits", new StageGates(SuccessPercent: 76, FailurePercent: null), "sssu", 0, GateOutcome.Waiting },
        { "failed share exactly at the threshold does not trip", new StageGates(SuccessPercent: 50, FailurePercent: 25), "sssfuuuu", 0, GateOutcome.Waiting },
        { "failed share above the threshold trips", new StageGates(SuccessPercent: 50, FailurePercent: 25), "ssffuuuu", 0, GateOutcome.Tripped },
        { "below the minimum sample the share is not judged", new StageGates(FailurePercent: 10, MinimumSample: 3), "ffuuuuuu", 0, GateOutcome.Waiting },
        { "at the minimum sample it is", new StageGates(FailurePercent: 10, MinimumSample: 3), "fffuuuuu", 0, GateOutcome.Tripped },
        { "absolute count trips regardless of the sample", new StageGates(FailurePercent: null, FailureCount: 2, MinimumSample: 50), "ffuuuuuu", 0, GateOutcome.Tripped },
        { "one below the absolute count waits", new StageGates(FailurePercent: null, FailureCount: 3), "ffuuuuuu", 0, GateOutcome.Waiting },
        { "failure is checked before success", new StageGates(SuccessPercent: 50, FailurePercent: 10), "sssssssf", 0, GateOutcome.Tripped },
        { "counts and percentages: the count trips first", new StageGates(SuccessPercent: 90, FailurePercent: 50, FailureCount: 1), "sssssssssf", 0, GateOutcome.Tripped },
        { "silent devices count as failed after the timeout", new StageGates(SuccessPercent: 50, FailurePercent: 20, StageTimeout: TimeSpan.FromMinutes(30)), "sssuu", 31, GateOutcome.Tripped },
        { "before the timeout they are only pending", new StageGates(SuccessPercent: 100, FailurePercent: 20, StageTimeout: TimeSpan.FromMinutes(30)), "sssuu", 29, GateOutcome.Waiting },
        { "timeout with success reached still passes", new StageGates(SuccessPercent: 60, FailurePercent: 50, StageTimeout: TimeSpan.FromMinutes(30)), "sssuu", 31, GateOutcome.Passed },
        { "timeout below success without failure gate trips", new StageGates(SuccessPercent: 80, FailurePercent: null, StageTimeout: TimeSpan.FromMinutes(30)), "sssuu", 31, GateOutcome.Tripped },
        { "a device that left before reporting is not counted", new StageGates(SuccessPercent: 100), "sssU", 0, GateOutcome.Passed },
        { "a device that left after failing still counts", new StageGates(SuccessPercent: 50, FailurePercent: 10), "sssF", 0, GateOutcome.Tripped },
        { "approval holds a passed stage", new StageGates(RequiresApproval: true), "ss", 0, GateOutcome.AwaitingApproval },
        { "bake time holds a passed stage", new StageGates(BakeTime: TimeSpan.FromMinutes(10)), "ss", 0, GateOutcome.Baking },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gate_table(string name, StageGates gates, string devices, int minutes, GateOutcome expected)
    {
        Assert.Null(gates.Problem);
        var decision = RolloutGate.Evaluate(gates, Devices(devices), Start, successReachedAt: null, Start.AddMinutes(minutes));
        Assert.True(expected == decision.Outcome, $"{name}: expected {expected}, got {decision.Outcome} ({decision.Reason})");
    }

    [Fact]
    public void Bake_time_counts_from_when_success_was_first_reached_and_restarts_when_it_is_lost()
    {
        var gates = new StageGates(BakeTime: TimeSpan.FromMinutes(10));
        var first = RolloutGate.Evaluate(gates, Devices("ss"), Start, null, Start.AddMinutes(1));
        Assert.Equal(GateOutcome.Baking, first.Outcome);
        Assert.Equal(Start.AddMinutes(1), first.SuccessReachedAt);

        var stillBaking = RolloutGate.Evaluate(gates, Devices("ss"), Start, first.SuccessReachedAt, Start.AddMinutes(10));
        Assert.Equal(GateOutcome.Baking, stillBaking.Outcome);
        Assert.Equal(GateOutcome.Passed, RolloutGate.Evaluate(gates, Devices("ss"), Start, first.SuccessReachedAt, Start.AddMinutes(11)).Outcome);

        // A device that fails meanwhile: success no longer holds, the bake restarts from scratch later.
        var lost = RolloutGate.Evaluate(gates with { FailurePercent = 60 }, Devices("sf"), Start, first.SuccessReachedAt, Start.AddMinutes(5));
        Assert.Equal(GateOutcome.Waiting, lost.Outcome);
        Assert.Null(lost.SuccessReachedAt);
    }

    [Fact]
    public void Reasons_name_the_numbers_seen()
    {
        var tripped = RolloutGate.Evaluate(new StageGates(FailurePercent: 20, StageTimeout: TimeSpan.FromMinutes(5)), Devices("ssfuu"), Start, null, Start.AddMinutes(6));
        Assert.Equal("3/5 (60%) of finished devices failed (2 silent past the stage timeout), above 20% (minimum sample 1)", tripped.Reason);
        Assert.Equal(new StageTally(5, 2, 1, 2, 0, TimedOut: true), tripped.Tally);
    }

    [Theory]
    [InlineData(null, 10, 0, 0.0, 10)]
    [InlineData(2.0, 10, 0, 0.0, 1)]
    [InlineData(2.0, 10, 1, 0.4, 0)]
    [InlineData(2.0, 10, 1, 1.0, 2)]
    [InlineData(2.0, 3, 1, 60.0, 3)]
    public void Ramp_rate_releases_one_at_once_then_the_rate_per_minute(double? rate, int queued, int released, double minutes, int expected) =>
        Assert.Equal(expected, RolloutGate.Releasable(new StageGates(RampPerMinute: rate), queued, released, Start, Start.AddMinutes(minutes)));

    [Theory]
    [InlineData(0.0, "success threshold must be in (0, 100], found 0")]
    [InlineData(101.0, "success threshold must be in (0, 100], found 101")]
    public void Impossible_gates_are_named(double success, string problem) => Assert.Equal(problem, new StageGates(SuccessPercent: success).Problem);
}

public sealed class StageSelectorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);

    private static List<CandidateDevice> Fleet(int count, string group = "lab") =>
        Enumerable.Range(0, count).Select(i => new CandidateDevice($"{group}-{i}", group, Now.AddHours(-i))).ToList();

    [Fact]
    public void A_percentage_is_of_the_remaining_matching_devices_rounded_up_and_skips_those_already_in()
    {
        var fleet = Fleet(10).Concat(Fleet(5, "field")).ToList();
        var already = new HashSet<string> { "lab-0", "lab-1" };
        var picked = StageSelector.Pick(new StageSelection(Group: "lab", Percent: 25), fleet, already, Now, new Random(1));
        Assert.Null(picked.Error);
        Assert.Equal(2, picked.DeviceIds.Count); // ceil(25% of 8)
        Assert.All(picked.DeviceIds, id => Assert.StartsWith("lab-", id));
        Assert.DoesNotContain(picked.DeviceIds, already.Contains);
        Assert.Equal(8, StageSelector.Pick(new StageSelection(Group: "lab"), fleet, already, Now, new Random(1)).DeviceIds.Count);
        Assert.Equal(5, StageSelector.Pick(new StageSelection(Count: 50, Group: "field"), fleet, already, Now, new Random(1)).DeviceIds.Count);
    }

    [Fact]
    public void Random_picks_favour_recently_active_devices()
    {
        var fleet = Fleet(100);
        var firstTen = 0;
        for (var seed = 0; seed < 200; seed++)
            firstTen += StageSelector.Pick(new StageSelection(Count: 10), fleet, new HashSet<string>(), Now, new Random(seed)).DeviceIds
                .Count(id => int.Parse(id["lab-".Length..]) < 10);
        // Uniform picking would put 10 % of the picks among the ten most recent devices; weighting puts far more there.
        Assert.True(firstTen > 200 * 10 * 0.3, $"only {firstTen} of 2000 picks were among the 10 most recently seen devices");
        Assert.Equal(StageSelector.Pick(new StageSelection(Count: 10), fleet, new HashSet<string>(), Now, new Random(7)).DeviceIds,
            StageSelector.Pick(new StageSelection(Count: 10), fleet, new HashSet<string>(), Now, new Random(7)).DeviceIds);
    }

    [Fact]
    public void Explicit_devices_must_belong_to_the_tag_and_group()
    {
        var fleet = Fleet(3).Concat(Fleet(2, "field")).ToList();
        Assert.Equal("not devices of the wave's tag: ghost", StageSelector.Pick(new StageSelection(DeviceIds: ["lab-0", "ghost"]), fleet, new HashSet<string>(), Now, new Random(1)).Error);
        Assert.Equal("not in group lab: field-1", StageSelector.Pick(new StageSelection(Group: "lab", DeviceIds: ["field-1"]), fleet, new HashSet<string>(), Now, new Random(1)).Error);
        Assert.Equal(["lab-2"], StageSelector.Pick(new StageSelection(DeviceIds: ["lab-1", "lab-2", "lab-2"]), fleet, new HashSet<string> { "lab-1" }, Now, new Random(1)).DeviceIds);
        Assert.Equal("give at most one of device ids, count and percent",
            StageSelector.Pick(new StageSelection(DeviceIds: ["lab-1"], Count: 1), fleet, new HashSet<string>(), Now, new Random(1)).Error);
    }
}
