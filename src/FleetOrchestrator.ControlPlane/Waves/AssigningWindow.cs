namespace FleetOrchestrator.ControlPlane.Waves;

/// <summary>
/// How many wave views may be handed to twins now, pure. Every twin persists its view in the shared journal, and
/// handing 100,000 out at once overflows the journal's queue (writes time out, twins and singletons stop): views whose
/// twins have not answered take room in a window of <paramref name="size"/>. Devices of ended waves wait in a queue to
/// go back to production through the same window. Without any twin's answer for <paramref name="answerTimeout"/>, the
/// views still unanswered are counted as lost (a twin stopped) and free their room.
/// </summary>
public sealed class AssigningWindow(int size, TimeSpan answerTimeout)
{
    // Not persisted: a gateway serves production for a closed view anyway, so forgetting them in a restart changes nothing devices see.
    private readonly Queue<(string Tag, string Device)> _handingBack = new();
    private DateTimeOffset _since;

    public int Size => size;

    /// <summary>Views handed out whose twins have not answered yet.</summary>
    public int Assigning { get; private set; }

    /// <summary>Room left in the window.</summary>
    public int Room => size - Assigning;

    public void HandedOut(int views, DateTimeOffset now) => (Assigning, _since) = (Assigning + views, now);

    /// <summary>A twin answered; true when half the window is free again, time to hand out more.</summary>
    public bool Answered(DateTimeOffset now)
    {
        if (Assigning > 0) (Assigning, _since) = (Assigning - 1, now);
        return Assigning <= size / 2;
    }

    /// <summary>After the answer timeout without answers, the views still unanswered are lost: returns how many (0: none).</summary>
    public int ForgetLost(DateTimeOffset now)
    {
        if (Assigning == 0 || now - _since < answerTimeout) return 0;
        var lost = Assigning;
        Assigning = 0;
        return lost;
    }

    /// <summary>The devices of a wave that ended go back to production, through the window.</summary>
    public void HandBack(string tag, IEnumerable<string> devices)
    {
        foreach (var device in devices) _handingBack.Enqueue((tag, device));
    }

    /// <summary>The queued devices to hand back now, as many as fit in the window, by tag (handing them out is counted by <see cref="HandedOut"/>).</summary>
    public IReadOnlyList<(string Tag, IReadOnlyList<string> Devices)> TakeHandBack()
    {
        var handBack = new List<(string Tag, string Device)>();
        while (_handingBack.Count > 0 && Assigning + handBack.Count < size) handBack.Add(_handingBack.Dequeue());
        return handBack.GroupBy(h => h.Tag, StringComparer.Ordinal).Select(g => (g.Key, (IReadOnlyList<string>)g.Select(h => h.Device).ToList())).ToList();
    }
}
