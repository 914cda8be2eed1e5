using System.Security.Cryptography;
using Akka.Actor;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Registration;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>
/// <c>devices registration-token rotate</c>: a new random token, whose SHA-256 the cluster's registration token singleton
/// takes in place of the old one (every gateway refuses the old one as soon as it hears, at once in one process). The
/// token itself is answered once and stored nowhere.
/// </summary>
public static class RegistrationTokenCommand
{
    public const string Rotate = "rotate";

    /// <summary>Refuses any action but <see cref="Rotate"/> before anything runs.</summary>
    public static void Check(CommandInvocation invocation)
    {
        if (invocation.Argument("action") != Rotate)
            throw new CommandFailedException(ErrorCodes.Usage, $"registration-token takes the action \"{Rotate}\", not \"{invocation.Argument("action")}\"", ExitCodes.Usage);
    }

    public static async Task RotateAsync(IActorRef singleton, TimeSpan askTimeout, CommandOutput output)
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var set = await PaletteActor.AskAccepted<RegistrationTokenHash>(singleton, new RotateRegistrationToken(RegistrationTokenDecisions.Hash(token)), askTimeout);
        output.Value(new { Token = token, set.SetAt, Note = "shown once: the previous token is refused from now on; give this one to the devices still to register" });
    }
}
