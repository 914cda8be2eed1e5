using System.Buffers;
using System.Security.Cryptography;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>Computes and verifies the <c>length</c> + <c>hashes</c> that TUF metadata lists for a file.</summary>
public static class Hashes
{
    public const string Sha256 = "sha256";
    public const string Sha512 = "sha512";

    /// <summary>sha256 and sha512 of <paramref name="data"/> as lowercase hex, the set this library writes.</summary>
    public static IReadOnlyDictionary<string, string> Compute(ReadOnlySpan<byte> data) => new Dictionary<string, string>
    {
        [Sha256] = Convert.ToHexStringLower(SHA256.HashData(data)),
        [Sha512] = Convert.ToHexStringLower(SHA512.HashData(data)),
    };

    /// <summary>Throws <see cref="HashMismatchException"/> unless <paramref name="data"/> has the length (when given) and every listed hash.</summary>
    public static void Verify(string role, string name, ReadOnlySpan<byte> data, long? length, IReadOnlyDictionary<string, string>? hashes)
    {
        if (length is { } expected && data.Length != expected)
            throw new HashMismatchException(role, "length", $"{name} is {data.Length} bytes, metadata says {expected}");
        if (hashes is null) return;
        foreach (var (algorithm, expectedHex) in hashes)
        {
            var actual = Convert.ToHexStringLower(CryptographicOperations.HashData(AlgorithmOf(role, name, algorithm), data));
            if (!string.Equals(actual, expectedHex, StringComparison.OrdinalIgnoreCase))
                throw new HashMismatchException(role, "hashes", $"{name} has {algorithm} {actual}, metadata says {expectedHex}");
        }
    }

    /// <summary>
    /// Reads <paramref name="source"/> to its end, hashing as it goes and refusing more than <paramref name="length"/>
    /// bytes, then checks length and hashes; every chunk is passed to <paramref name="sink"/> (e.g. a temp file) as read.
    /// </summary>
    public static async Task VerifyAsync(string role, string name, Stream source, long length, IReadOnlyDictionary<string, string> hashes,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask>? sink = null, CancellationToken cancellation = default)
    {
        var hashers = hashes.ToDictionary(h => h.Key, h => IncrementalHash.CreateHash(AlgorithmOf(role, name, h.Key)));
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            long total = 0;
            while (true)
            {
                var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - total + 1)), cancellation);
                if (read == 0) break;
                total += read;
                if (total > length)
                    throw new HashMismatchException(role, "length", $"{name} is longer than the {length} bytes metadata says");
                foreach (var hasher in hashers.Values) hasher.AppendData(buffer, 0, read);
                if (sink is not null) await sink(buffer.AsMemory(0, read), cancellation);
            }
            if (total != length)
                throw new HashMismatchException(role, "length", $"{name} is {total} bytes, metadata says {length}");
            foreach (var (algorithm, hasher) in hashers)
            {
                var actual = Convert.ToHexStringLower(hasher.GetHashAndReset());
                if (!string.Equals(actual, hashes[algorithm], StringComparison.OrdinalIgnoreCase))
                    throw new HashMismatchException(role, "hashes", $"{name} has {algorithm} {actual}, metadata says {hashes[algorithm]}");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            foreach (var hasher in hashers.Values) hasher.Dispose();
        }
    }

    private static HashAlgorithmName AlgorithmOf(string role, string name, string algorithm) => algorithm switch
    {
        Sha256 => HashAlgorithmName.SHA256,
        "sha384" => HashAlgorithmName.SHA384,
        Sha512 => HashAlgorithmName.SHA512,
        _ => throw new HashMismatchException(role, "hashes", $"{name}: unsupported hash algorithm \"{algorithm}\""),
    };
}
