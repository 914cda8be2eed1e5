using System.Security.Cryptography;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Tuf.Client;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.Pbm;

/// <summary>
/// The <c>keys</c> commands pbm runs around the wire: the key files named by <c>--key</c> and <c>--new-key</c> are read
/// here (a <c>--new-key</c> file that does not exist is created, mode 0600) and never sent. The host gets public keys,
/// answers the canonical payloads that need offline signatures, and gets only the signatures back (<c>keys submit</c>).
/// Encrypted key files (and new ones) use the passphrase in <see cref="PassphraseVariable"/>.
/// </summary>
public static class OfflineKeys
{
    public const string PassphraseVariable = "PBM_KEY_PASSPHRASE";

    private static readonly string[] Commands = ["rotate-root", "rotate-online", "sign-wave", "sign-targets"];

    public static bool Handles(string palette, string command) => palette == "keys" && Commands.Contains(command);

    public static async Task<EndFrame> RunAsync(PbmConnection connection, string command, IReadOnlyList<string> arguments, Action<ServerFrame> render, CancellationToken cancellation)
    {
        EndFrame Finish(EndFrame end)
        {
            render(end);
            return end;
        }
        EndFrame Fail(string message) => Finish(new EndFrame(ExitCodes.Failed, ErrorCodes.Failed, message));

        var wire = new List<string>();
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < arguments.Count; i++)
        {
            var (name, inline) = arguments[i].Split('=', 2) is [var n, var v] ? (n, v) : (arguments[i], null);
            if (name is not ("--key" or "--new-key"))
            {
                wire.Add(arguments[i]);
                continue;
            }
            var file = inline ?? (i + 1 < arguments.Count ? arguments[++i] : null);
            if (string.IsNullOrEmpty(file)) return Finish(new EndFrame(ExitCodes.Usage, ErrorCodes.Usage, $"{name} needs a key file"));
            files[name[2..]] = file;
        }
        var passphrase = Environment.GetEnvironmentVariable(PassphraseVariable) is { Length: > 0 } p ? p : null;
        var keys = new List<(KeyPair Key, string File)>();
        try
        {
            foreach (var (name, file) in files)
            {
                try
                {
                    keys.Add((await LoadOrCreateAsync(file, create: name == "new-key", passphrase, render, cancellation), file));
                }
                catch (Exception e) when (e is KeyFileException or IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
                {
                    return Fail($"cannot use key file {file}: {e.Message}");
                }
            }
            var newKey = files.TryGetValue("new-key", out var newFile) ? keys.Single(k => k.File == newFile).Key : null;
            var wireCommand = command;
            if (command == "rotate-root" && keys.Count > 0)
            {
                // Prepared by the host from public keys only; without --new-key the root keys stay (a renewal).
                wireCommand = "prepare-root";
                if (newKey is not null) wire.AddRange(["--root-key", newKey.PublicKey.ToJson().ToJsonString()]);
            }
            var requests = new List<SigningRequestValue>();
            var end = await connection.RunAsync("keys", wireCommand, wire, Collect(requests, render), cancellation);
            if (end.ExitCode != ExitCodes.Ok || requests.Count == 0) return Finish(end);
            if (keys.Count == 0)
                return Fail($"{string.Join(", ", requests.Select(r => r.Id))} waits for offline signatures ({string.Join("; ", requests.Select(r => r.Needs))}); run again with --key <key file>");
            // A key file the requests do not accept is named before anything is signed or sent.
            foreach (var (key, file) in keys.Where(k => !requests.Any(r => r.KeyIds.Contains(k.Key.KeyId))))
                return Fail($"key file {file} (keyid {Short(key.KeyId)}) may not sign {string.Join(", ", requests.Select(r => r.Id))}: the keys that may are [{string.Join(", ", requests.SelectMany(r => r.KeyIds).Distinct().Select(Short))}]");
            foreach (var request in requests)
            {
                byte[] payload;
                string? problem;
                try
                {
                    payload = Convert.FromBase64String(request.Payload);
                    problem = Problem(command, request, payload, newKey);
                }
                catch (Exception e) when (e is FormatException or CanonicalJsonException or TufMetadataFormatException or InvalidOperationException)
                {
                    // The host's answer is outside input too: a payload that is not metadata is refused, never signed.
                    return Fail($"the host's signing request {request.Id} is not valid {request.Role} metadata: {e.Message}; nothing was signed");
                }
                if (problem is not null) return Fail(problem);
                var signatures = new List<string>();
                foreach (var (key, file) in keys.Where(k => request.KeyIds.Contains(k.Key.KeyId)))
                {
                    var signature = await OfflineSigning.SignPayloadAsync(payload, file, passphrase, cancellation);
                    signatures.Add(SigningRequestValue.SignatureArgument(signature.KeyId, signature.Sig));
                    render(new LineFrame($"signed {request.Id} with {file} (keyid {Short(key.KeyId)})"));
                }
                end = await connection.RunAsync("keys", "submit", [request.Id, .. signatures.SelectMany(s => new[] { "--signature", s })], Collect([], render), cancellation);
                if (end.ExitCode != ExitCodes.Ok) return Finish(end);
            }
            return Finish(end);
        }
        finally
        {
            foreach (var (key, _) in keys) key.Dispose();
        }
    }

    private static async Task<KeyPair> LoadOrCreateAsync(string file, bool create, string? passphrase, Action<ServerFrame> render, CancellationToken cancellation)
    {
        if (!create || File.Exists(file)) return await KeyPair.LoadAsync(file, passphrase, cancellation);
        var key = KeyPair.Generate();
        await key.SaveAsync(file, passphrase, cancellation);
        render(new LineFrame($"created key file {file} (keyid {Short(key.KeyId)}, mode 0600)"));
        return key;
    }

    /// <summary>Renders every frame but the end, keeping the signing requests (they are signed, not printed).</summary>
    private static Action<ServerFrame> Collect(List<SigningRequestValue> requests, Action<ServerFrame> render) => frame =>
    {
        if (frame is ValueFrame value && SigningRequestValue.From(value.Value) is { } request) requests.Add(request);
        else if (frame is not EndFrame) render(frame);
    };

    /// <summary>Why pbm refuses to sign what the host sent, or null: the role must be what the command signs, a new root must list the new key.</summary>
    private static string? Problem(string command, SigningRequestValue request, byte[] payload, KeyPair? newKey)
    {
        var expected = command is "sign-wave" or "sign-targets" ? Role.Targets : Role.Root;
        var type = (string?)CanonicalJson.Parse(payload)["_type"];
        if (type != expected || request.Role != expected)
            return $"the host asked to sign {type} metadata ({request.Id}) for keys {command}, which signs {expected}; nothing was signed";
        if (newKey is not null && !SignedMetadata<RootMetadata>.ParseSigned(payload, Role.Root).RoleKeysOf(Role.Root).KeyIds.Contains(newKey.KeyId))
            return $"root v{request.Version} from the host does not list the new key {Short(newKey.KeyId)} as a root key; nothing was signed";
        return null;
    }

    private static string Short(string keyId) => keyId[..Math.Min(8, keyId.Length)];
}
