using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Publishing;

/// <summary>Publish a containers.git revision of this factory and record its target.</summary>
/// <param name="Repository">A checkout path or git URL reachable from the publisher node.</param>
/// <param name="Version">Target version; null = the number of commits on the ref.</param>
public sealed record PublishTarget(string Repository, string Ref, string Tag, IReadOnlyList<string> HardwareIds, long? Version) : IFleetMessage;

/// <summary>The publish succeeded and its target is in the signed metadata of <see cref="Tag"/> at <see cref="TargetsVersion"/>.</summary>
public sealed record TargetPublished(string Name, string Tag, int TargetsVersion, IReadOnlyDictionary<string, string> AppUris, string CommitSha) : IFleetMessage;

/// <summary>The publish failed; nothing was recorded. <see cref="Reason"/> says why.</summary>
public sealed record PublishFailed(string Repository, string Ref, string Reason) : IFleetMessage;

/// <summary>A step of a running publish (source, build, push, bundle, retry, target ...), published on <see cref="PublishingTopics.Progress"/>.</summary>
public sealed record PublishProgressed(string Repository, string Stage, string Subject, string Message) : IFleetMessage;

public static class PublishingTopics
{
    /// <summary>Distributed pub/sub topic carrying <see cref="PublishProgressed"/> of every publish in the cluster.</summary>
    public const string Progress = "publishing-progress";
}
