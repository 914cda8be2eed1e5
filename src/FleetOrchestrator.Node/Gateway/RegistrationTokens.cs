using System.Security.Cryptography;
using System.Text;
using FleetOrchestrator.ControlPlane.Registration;
using FleetOrchestrator.Node.Factory;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>
/// The registration token this gateway accepts, as its SHA-256: the cluster's (<see cref="RegistrationTokenActor"/>),
/// followed by <see cref="RegistrationTokenFollowerActor"/>. Each change is also written to the node's
/// <c>registration-token.sha256</c>, so a restarted node refuses a rotated-out token from its first request, before the
/// cluster answers; a node that never heard of a rotation starts from its <c>registration-token</c> file.
/// </summary>
public sealed class RegistrationTokens
{
    private readonly string _hashFile;
    private volatile string _sha256;

    private RegistrationTokens(string sha256, string hashFile)
    {
        _sha256 = sha256;
        _hashFile = hashFile;
    }

    /// <summary>The hash the node last heard of, else the hash of the token <c>fleet-node init</c> wrote.</summary>
    public static async Task<RegistrationTokens> LoadAsync(FactoryFiles files, CancellationToken cancellation)
    {
        var sha256 = File.Exists(files.RegistrationTokenHashFile)
            ? (await File.ReadAllTextAsync(files.RegistrationTokenHashFile, cancellation)).Trim()
            : RegistrationTokenDecisions.Hash(await files.LoadRegistrationTokenAsync(cancellation));
        return new RegistrationTokens(sha256, files.RegistrationTokenHashFile);
    }

    public string Sha256 => _sha256;

    /// <summary>Whether <paramref name="token"/> is the current token, compared in constant time (as hashes).</summary>
    public bool Accepts(string? token) =>
        token is not null && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(RegistrationTokenDecisions.Hash(token)), Encoding.ASCII.GetBytes(_sha256));

    /// <summary>The cluster's token: written to the node's hash file (atomically), then accepted in place of the old one.</summary>
    public async Task SetAsync(string sha256, CancellationToken cancellation = default)
    {
        if (sha256 == _sha256) return;
        var temporary = _hashFile + ".tmp";
        await File.WriteAllTextAsync(temporary, sha256 + "\n", cancellation);
        File.Move(temporary, _hashFile, overwrite: true);
        _sha256 = sha256;
    }
}
