using FleetOrchestrator.Tuf.Crypto;

namespace FleetOrchestrator.ControlPlane.Targets;

/// <summary>
/// The directory of a node's online TUF private keys (<c>tuf/keys</c>): every <c>*.pem</c> file (PKCS#8, mode 0600) is
/// one key. <c>fleet-node init</c> writes <c>&lt;role&gt;.pem</c>; a rotated key is added as <c>&lt;role&gt;-&lt;keyid&gt;.pem</c>.
/// Files whose key no role of root lists any more are deleted after a key change.
/// </summary>
public sealed class OnlineKeyStore(string directory)
{
    public string Directory { get; } = directory;

    public async Task<IReadOnlyList<KeyPair>> LoadAsync(CancellationToken cancellation = default)
    {
        var keys = new List<KeyPair>();
        if (!System.IO.Directory.Exists(Directory)) return keys;
        foreach (var file in System.IO.Directory.GetFiles(Directory, "*.pem").Order(StringComparer.Ordinal))
            keys.Add(await KeyPair.LoadAsync(file, cancellation: cancellation));
        return keys;
    }

    /// <summary>Writes a new key of <paramref name="role"/> (created 0600, never overwriting); returns its path.</summary>
    public async Task<string> SaveAsync(string role, KeyPair key, CancellationToken cancellation = default)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, $"{role}-{key.KeyId[..16]}.pem");
        await key.SaveAsync(path, cancellation: cancellation);
        return path;
    }

    /// <summary>Deletes the key files whose key id is not in <paramref name="keep"/>; returns the files deleted.</summary>
    public async Task<IReadOnlyList<string>> DeleteAllBut(IReadOnlySet<string> keep, CancellationToken cancellation = default)
    {
        var deleted = new List<string>();
        foreach (var file in System.IO.Directory.GetFiles(Directory, "*.pem"))
        {
            using var key = await KeyPair.LoadAsync(file, cancellation: cancellation);
            if (keep.Contains(key.KeyId)) continue;
            File.Delete(file);
            deleted.Add(file);
        }
        return deleted;
    }
}
