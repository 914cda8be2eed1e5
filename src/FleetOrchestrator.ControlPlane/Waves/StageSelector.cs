namespace FleetOrchestrator.ControlPlane.Waves;

/// <summary>A device of the wave's tag that a stage may take.</summary>
public sealed record CandidateDevice(string DeviceId, string? Group, DateTimeOffset? LastSeen);

/// <summary>Devices a stage takes, or why the selection cannot be made.</summary>
public sealed record StageSelectionResult(IReadOnlyList<string> DeviceIds, string? Error)
{
    public static StageSelectionResult Refused(string error) => new([], error);
}

/// <summary>
/// Picks a stage's devices (REFERENCE: random, favouring recently active devices, skipping those already in
/// the wave). Pure given the <see cref="Random"/>: tests pass a seeded one.
/// </summary>
public static class StageSelector
{
    public static StageSelectionResult Pick(StageSelection selection, IReadOnlyCollection<CandidateDevice> candidates,
        IReadOnlySet<string> alreadyInWave, DateTimeOffset now, Random random)
    {
        if (selection.Problem is { } problem) return StageSelectionResult.Refused(problem);
        var matching = candidates.Where(d => !alreadyInWave.Contains(d.DeviceId) && (selection.Group is null || d.Group == selection.Group)).ToList();

        if (selection.DeviceIds is { } ids)
        {
            var known = candidates.ToDictionary(d => d.DeviceId, StringComparer.Ordinal);
            var unknown = ids.Where(id => !known.ContainsKey(id)).ToList();
            if (unknown.Count > 0)
                return StageSelectionResult.Refused($"not devices of the wave's tag: {string.Join(", ", unknown.Take(10))}{(unknown.Count > 10 ? $" and {unknown.Count - 10} more" : "")}");
            var outside = ids.Where(id => selection.Group is not null && known[id].Group != selection.Group).ToList();
            if (outside.Count > 0)
                return StageSelectionResult.Refused($"not in group {selection.Group}: {string.Join(", ", outside.Take(10))}");
            return new StageSelectionResult(ids.Distinct(StringComparer.Ordinal).Where(id => !alreadyInWave.Contains(id)).ToList(), null);
        }

        var wanted = selection.Count ?? (selection.Percent is { } percent ? (int)Math.Ceiling(percent / 100 * matching.Count - 1e-9) : matching.Count);
        return new StageSelectionResult(WeightedSample(matching, Math.Min(wanted, matching.Count), now, random), null);
    }

    /// <summary>
    /// Weighted sampling without replacement (Efraimidis–Spirakis: the k largest u^(1/w)): a device seen an hour
    /// ago weighs twice one seen three hours ago; never-seen devices weigh least but can still be picked.
    /// </summary>
    private static List<string> WeightedSample(List<CandidateDevice> devices, int count, DateTimeOffset now, Random random)
    {
        if (count >= devices.Count) return devices.Select(d => d.DeviceId).ToList();
        return devices
            .Select(d => (d.DeviceId, Key: Math.Log(random.NextDouble() + double.Epsilon) / Weight(d, now)))
            .OrderByDescending(x => x.Key)
            .Take(count)
            .Select(x => x.DeviceId)
            .ToList();
    }

    private static double Weight(CandidateDevice device, DateTimeOffset now)
    {
        if (device.LastSeen is not { } seen) return 1.0 / (1 + 24 * 30);
        var hours = Math.Max(0, (now - seen).TotalHours);
        return 1.0 / (1 + hours);
    }
}
