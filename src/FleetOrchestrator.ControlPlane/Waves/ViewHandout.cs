using Akka.Actor;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Targets;

namespace FleetOrchestrator.ControlPlane.Waves;

/// <summary>
/// Hands wave views to twins for <see cref="WavesActor"/>, which owns it and calls it while it handles a message (twins
/// answer the actor): each move takes room in the <see cref="AssigningWindow"/> until its twin answers, and once every
/// gateway serves a tag's moves, the tag's views are re-signed (<see cref="MovedViews"/>, <see cref="AdvanceTagViews"/>).
/// </summary>
public sealed class ViewHandout(IActorRef deviceTwins, IActorRef targetRegistry, AssigningWindow window, MovedViews moves)
{
    public AssigningWindow Window => window;

    /// <summary>Hands <paramref name="devices"/> of <paramref name="tag"/> the view (null: production).</summary>
    public void Move(string tag, string? view, IReadOnlyCollection<string> devices, DateTimeOffset now)
    {
        foreach (var device in devices) deviceTwins.Tell(new AssignDeviceView(device, tag, view));
        moves.Moved(tag, devices.Count, now);
        window.HandedOut(devices.Count, now);
    }

    /// <summary>A move may have been made just before a stop: the views of <paramref name="tags"/> are advanced once.</summary>
    public void Restarted(IEnumerable<string> tags, DateTimeOffset now)
    {
        foreach (var tag in tags) moves.Moved(tag, 0, now);
    }

    /// <summary>A twin serves its new view; true when the window has room to hand out more.</summary>
    public bool Answered(DeviceViewAnswered answered, DateTimeOffset now)
    {
        moves.Acknowledged(answered.Tag, now);
        return window.Answered(now);
    }

    /// <summary>Re-signs the views of tags whose moves every gateway now serves.</summary>
    public void AdvanceMovedViews(DateTimeOffset now)
    {
        foreach (var tag in moves.Due(now)) targetRegistry.Tell(new AdvanceTagViews(tag));
    }

    /// <summary>Hands devices of ended waves back to production, as many as the window takes.</summary>
    public void HandBack(DateTimeOffset now)
    {
        foreach (var (tag, devices) in window.TakeHandBack()) Move(tag, null, devices, now);
    }
}
