using System.Globalization;
using Akka.Actor;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>
/// The <c>keys</c> palette, backed by the target registry. Offline keys never reach the host: commands that need
/// offline signatures answer each request as a <see cref="SigningRequestValue"/>, which pbm signs locally and sends
/// back with <c>keys submit</c>.
/// </summary>
public sealed class KeysPaletteActor(IActorRef targetRegistry, TimeSpan askTimeout) : PaletteActor(PaletteCatalog.Keys)
{
    public static readonly IReadOnlyList<string> PendingColumns = ["request", "role", "tag", "view", "version", "signed by", "needs"];

    protected override void Execute(CommandInvocation invocation, CommandOutput output)
    {
        if (PaletteCatalog.KeyFileSwitches.FirstOrDefault(invocation.Switches.ContainsKey) is { } keyFile)
        {
            output.Fail(ErrorCodes.Usage, $"--{keyFile} names a key file that pbm reads on the client; the host never takes key files " +
                "(run the command with pbm, which sends only public keys and signatures)", ExitCodes.Usage);
            return;
        }
        switch (invocation.Command.Name)
        {
            case "rotate-root":
                Change(output, new RotateOnlineKey(Role.Root));
                return;
            case "rotate-online" when invocation.Argument("role") == Role.Root:
                output.Fail(ErrorCodes.Usage, "root is not an online role: rotate it with keys rotate-root", ExitCodes.Usage);
                return;
            case "rotate-online":
                Change(output, new RotateOnlineKey(invocation.Argument("role")!));
                return;
            case "prepare-root":
                Change(output, new PrepareRoot(invocation.All("root-key")));
                return;
            case "submit":
                Change(output, new SubmitSignatures(invocation.Argument("request")!, invocation.All("signature").Select(ParseSignature).ToList()));
                return;
            case "pending":
                var payloads = invocation.Flag("payloads");
                Run(output, async () =>
                {
                    var answer = await PendingAsync();
                    output.Table(PendingColumns, answer.Pending.Select(p => (IReadOnlyList<string?>)
                        [p.Id, p.Role, p.Tag, p.View, p.Version.ToString(CultureInfo.InvariantCulture), KeysDecisions.Short(p.SignedBy), p.Needs]));
                    output.Line(answer.Summary);
                    if (payloads) foreach (var pending in answer.Pending) output.Value(ValueOf(pending).ToJson());
                });
                return;
            case "sign-targets":
                var tag = invocation.Argument("tag")!;
                SignOffline(output, pending => pending.Where(p => p.Tag == tag).ToList(), $"tag {tag} has no targets waiting for offline signatures");
                return;
            case "sign-wave":
                var wave = invocation.Argument("wave")!;
                // Every view of a tag is signed at the same version: the wave's view publishes with the others of its tag.
                SignOffline(output, pending => pending.Where(p => p.Tag is not null && pending.Any(w => w.Tag == p.Tag && w.View == wave)).ToList(),
                    $"wave {wave} has no view waiting for offline signatures");
                return;
            default:
                NotImplemented(invocation, output);
                return;
        }
    }

    /// <summary>Asks the registry for a key change; prints its summary and, as values, the root N+1 that waits for offline signatures.</summary>
    private void Change(CommandOutput output, object command) => Run(output, async () =>
    {
        var answer = await AskAccepted<KeysAnswer>(targetRegistry, command, askTimeout);
        output.Line(answer.Summary);
        foreach (var pending in answer.Pending.Where(p => p.Role == Role.Root)) output.Value(ValueOf(pending).ToJson());
    });

    /// <summary>The targets requests <paramref name="select"/> picks, as values for pbm to sign with the offline targets key.</summary>
    private void SignOffline(CommandOutput output, Func<IReadOnlyList<PendingSigning>, IReadOnlyList<PendingSigning>> select, string nothing) => Run(output, async () =>
    {
        var answer = await PendingAsync();
        if (answer.OnlineRoles.Contains(Role.Targets))
            throw new CommandFailedException(ErrorCodes.Failed, "the targets key of this factory is online; nothing to sign offline");
        var selected = select(answer.Pending.Where(p => p.Role != Role.Root).ToList());
        if (selected.Count == 0) throw new CommandFailedException(ErrorCodes.NotFound, nothing);
        foreach (var pending in selected)
        {
            output.Line(pending.Needs);
            output.Value(ValueOf(pending).ToJson());
        }
    });

    private Task<KeysAnswer> PendingAsync() => AskAccepted<KeysAnswer>(targetRegistry, GetSigningRequests.Instance, askTimeout);

    private static SigningRequestValue ValueOf(PendingSigning pending) =>
        new(pending.Id, pending.Role, pending.Version, Convert.ToBase64String(pending.Payload), pending.KeyIds, pending.SignedBy, pending.Needs, pending.Tag, pending.View);

    private static Signature ParseSignature(string argument)
    {
        var parts = argument.Split(':');
        return parts is [{ Length: > 0 } keyId, { Length: > 0 } sig] && IsHex(keyId) && IsHex(sig)
            ? new Signature(keyId, sig)
            : throw new CommandFailedException(ErrorCodes.Usage, $"--signature \"{argument}\" is not <keyid>:<hex signature>", ExitCodes.Usage);
    }

    private static bool IsHex(string text) => text.All(char.IsAsciiHexDigitLower) && text.Length % 2 == 0 && text.Length <= 1024;
}
