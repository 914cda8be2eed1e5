namespace FleetOrchestrator.ControlPlane.Waves;

/// <summary>
/// When to re-sign a tag's views after its devices moved between them (<see cref="Targets.AdvanceTagViews"/>), pure.
/// A TUF client keeps its trusted metadata while the version it is served does not rise, so the views must be signed
/// again after every gateway serves the devices their new view — never before, or a device that polls in between
/// trusts the new version in its old view and never reads the new one. Twins acknowledge each move once it is
/// persisted and published to the gateways; the views advance when every move of the tag is acknowledged and
/// <see cref="Propagation"/> has passed for the publication to reach gateways on other nodes. A move that is never
/// acknowledged (its twin stopped) holds the tag back at most <see cref="AcknowledgementTimeout"/>.
/// </summary>
public sealed class MovedViews(TimeSpan propagation, TimeSpan acknowledgementTimeout)
{
    private sealed record Moves(DateTimeOffset Since, DateTimeOffset LastAcknowledged, int Pending);

    private readonly Dictionary<string, Moves> _tags = new(StringComparer.Ordinal);

    public TimeSpan Propagation => propagation;
    public TimeSpan AcknowledgementTimeout => acknowledgementTimeout;

    /// <summary><paramref name="devices"/> of <paramref name="tag"/> were told to change view (0: advance once anyway, e.g. after a restart).</summary>
    public void Moved(string tag, int devices, DateTimeOffset now) =>
        _tags[tag] = _tags.TryGetValue(tag, out var moves) ? moves with { Pending = moves.Pending + devices } : new Moves(now, now, devices);

    /// <summary>A twin of <paramref name="tag"/> serves its new view.</summary>
    public void Acknowledged(string tag, DateTimeOffset now)
    {
        if (_tags.TryGetValue(tag, out var moves) && moves.Pending > 0) _tags[tag] = moves with { Pending = moves.Pending - 1, LastAcknowledged = now };
    }

    /// <summary>The tags whose views to advance now; each is forgotten until it moves again (or, when overdue, timed again).</summary>
    public IReadOnlyList<string> Due(DateTimeOffset now)
    {
        var due = new List<string>();
        foreach (var (tag, moves) in _tags.ToList())
        {
            if (moves.Pending == 0 && now - moves.LastAcknowledged >= propagation)
                _tags.Remove(tag);
            else if (now - moves.Since >= acknowledgementTimeout)
                _tags[tag] = moves with { Since = now };
            else
                continue;
            due.Add(tag);
        }
        return due;
    }
}
