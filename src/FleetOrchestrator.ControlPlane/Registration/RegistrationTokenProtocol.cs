using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ControlPlane.Registration;

// The cluster's one registration token, held as its SHA-256 (hex) by the registration token singleton: the token
// itself is printed once by `pbm devices registration-token rotate` and stored nowhere in the cluster.

/// <summary>
/// A node's token (from its data directory) offered at start: adopted when the cluster has none yet, ignored otherwise.
/// Answered with the cluster's <see cref="RegistrationTokenHash"/>.
/// </summary>
public sealed record SeedRegistrationToken(string Sha256) : IFleetMessage;

/// <summary>An operator's new token (its SHA-256); the old one stops working. Answered with <see cref="RegistrationTokenHash"/> or <c>Refused</c>.</summary>
public sealed record RotateRegistrationToken(string Sha256) : IFleetMessage;

/// <summary>The token gateways accept now, and when it was set; also published on <see cref="RegistrationTokenDecisions.Topic"/> after each change.</summary>
public sealed record RegistrationTokenHash(string Sha256, DateTimeOffset SetAt) : IFleetMessage;

/// <summary>The persisted event: the token gateways accept from now on.</summary>
public sealed record RegistrationTokenWasSet(string Sha256, DateTimeOffset At) : IFleetMessage;
