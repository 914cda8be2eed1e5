using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Client;

/// <summary>A target as vouched for by trusted metadata: its path, its file entry and the role that listed it.</summary>
public sealed record TargetInfo(string Path, TargetFile File, string SigningRole);
