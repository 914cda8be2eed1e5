using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Targets;

/// <summary>What the target registry of one factory runs with (HOCON <c>fleet.targets</c>, and the factory's files).</summary>
/// <param name="InitialRoot">Root v1 made by <c>fleet-node init</c>; used only when the journal is empty.</param>
/// <param name="Signers">The private keys loaded on this node (online roles; root too in embedded mode).</param>
/// <param name="RefreshCheckInterval">How often expiring metadata is looked for and re-signed.</param>
/// <param name="SnapshotEvery">A snapshot is saved after this many events.</param>
/// <param name="KeyStore">Where this node keeps its online keys: rotated keys are added there, dropped ones deleted; null: no online rotation.</param>
public sealed record TargetRegistrySettings(
    string Factory,
    byte[] InitialRoot,
    IReadOnlyList<ISigner> Signers,
    RepositoryOptions Options,
    TimeSpan RefreshCheckInterval,
    int SnapshotEvery,
    TimeProvider? Time = null,
    OnlineKeyStore? KeyStore = null);
