namespace FleetOrchestrator.Protocol.Decisions;

/// <summary>
/// The one answer every actor gives to a command it refuses: nothing was stored. <see cref="Subject"/> names what
/// the command was about (a device, a group, a wave, a tag or version), <see cref="Reason"/> says exactly what is wrong.
/// </summary>
public sealed record Refused(string Subject, string Reason) : IFleetMessage;
