namespace FleetOrchestrator.ControlPlane.Devices;

/// <summary>Device twins (HOCON <c>fleet.devices</c>): shard count (fixed for the life of the cluster), idle passivation, snapshots, last-seen resolution.</summary>
/// <param name="PassivateIdleAfter">A twin without messages for this long leaves memory (<c>akka.cluster.sharding.passivate-idle-entity-after</c>).</param>
/// <param name="SnapshotEvery">A twin saves a snapshot after this many events.</param>
/// <param name="LastSeenResolution">A check-in is persisted only when last seen moved by this much since the last persisted contact.</param>
/// <param name="Time">The clock registrations are stamped with; null: the system clock.</param>
public sealed record DeviceTwinSettings(int Shards, TimeSpan PassivateIdleAfter, int SnapshotEvery, TimeSpan LastSeenResolution, TimeProvider? Time = null);
