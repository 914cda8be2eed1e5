using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Publishing;

/// <summary>
/// Publish a containers.git revision of this factory and record its target. The requester is answered with
/// <see cref="TargetPublished"/> or <see cref="PublishFailed"/>; no one else hears of the publish.
/// </summary>
/// <param name="JobId">Names this publish in its progress and in the publisher's log; the requester picks it (<see cref="NewJobId"/>).</param>
/// <param name="Repository">A checkout path or git URL reachable from the publisher node.</param>
/// <param name="Version">Target version; null = the number of commits on the ref.</param>
/// <param name="ReportProgress">True: the requester also gets each step as <see cref="PublishProgressed"/> before the answer (so it must Tell, not Ask).</param>
public sealed record PublishTarget(string JobId, string Repository, string Ref, string Tag, IReadOnlyList<string> HardwareIds, long? Version, bool ReportProgress = false)
    : IFleetMessage
{
    public static string NewJobId() => Guid.NewGuid().ToString("N")[..12];
}

/// <summary>The publish succeeded and its target is in the signed metadata of <see cref="Tag"/> at <see cref="TargetsVersion"/>.</summary>
public sealed record TargetPublished(string Name, string Tag, int TargetsVersion, IReadOnlyDictionary<string, string> AppUris, string CommitSha) : IFleetMessage;

/// <summary>The publish failed; nothing was recorded. <see cref="Reason"/> says why.</summary>
public sealed record PublishFailed(string Repository, string Ref, string Reason) : IFleetMessage;

/// <summary>A step of the running publish <see cref="JobId"/> (source, build, push, bundle, retry ...), told to the requester that asked for progress.</summary>
public sealed record PublishProgressed(string JobId, string Stage, string Subject, string Message) : IFleetMessage;
