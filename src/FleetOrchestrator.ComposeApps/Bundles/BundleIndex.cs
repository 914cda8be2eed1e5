using System.Text;
using System.Text.Json;

namespace FleetOrchestrator.ComposeApps.Bundles;

/// <summary>
/// The sha256 of every regular file of a bundle, keyed by its path in the bundle. Pushed as its
/// own blob (<see cref="MediaType"/>) so a device can check every file it extracts.
/// </summary>
public sealed class BundleIndex
{
    public const string MediaType = "application/json";

    private const string DigestPrefix = "sha256:";

    private readonly SortedDictionary<string, string> _digests;

    private BundleIndex(SortedDictionary<string, string> digests) => _digests = digests;

    /// <summary>Path → "sha256:&lt;hex&gt;", in ordinal path order.</summary>
    public IReadOnlyDictionary<string, string> Files => _digests;

    /// <summary>Builds an index, validating every path and digest.</summary>
    /// <exception cref="BundleException">A path is not a clean relative path, a digest is malformed, or a path repeats.</exception>
    public static BundleIndex Create(IEnumerable<KeyValuePair<string, string>> files)
    {
        var digests = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, digest) in files)
        {
            if (BundlePath.FindProblem(path) is { } problem)
            {
                throw new BundleException($"Bundle index entry \"{path}\" is invalid: {problem}.");
            }

            if (!IsSha256Digest(digest))
            {
                throw new BundleException($"Bundle index entry \"{path}\" has digest \"{Truncate(digest)}\"; expected \"sha256:\" and 64 lowercase hex digits.");
            }

            if (!digests.TryAdd(path, digest))
            {
                throw new BundleException($"Bundle index lists \"{path}\" twice.");
            }
        }

        return new BundleIndex(digests);
    }

    /// <summary>
    /// Canonical JSON: one object, keys in ordinal order, no whitespace, only '"' and '\' escaped
    /// (paths never hold control characters), UTF-8. Same index, same bytes.
    /// </summary>
    public byte[] ToJsonBytes()
    {
        var json = new StringBuilder("{");
        foreach (var (path, digest) in _digests)
        {
            if (json.Length > 1)
            {
                json.Append(',');
            }

            AppendString(json, path);
            json.Append(':');
            AppendString(json, digest);
        }

        return Encoding.UTF8.GetBytes(json.Append('}').ToString());
    }

    /// <summary>
    /// Reads an index blob, rejecting anything but one flat object of path → digest within
    /// <see cref="BundleLimits.MaxIndexBytes"/> and <see cref="BundleLimits.MaxEntries"/>.
    /// </summary>
    /// <exception cref="BundleException">The blob is too large, not JSON, not a flat object of strings, or holds an invalid entry.</exception>
    public static BundleIndex Parse(ReadOnlySpan<byte> json, BundleLimits? limits = null)
    {
        limits ??= BundleLimits.Default;
        if (json.Length > limits.MaxIndexBytes)
        {
            throw new BundleException($"Bundle index is {json.Length} bytes; the limit is {limits.MaxIndexBytes} bytes.");
        }

        var files = new List<KeyValuePair<string, string>>();
        try
        {
            // The reader itself rejects truncated JSON and anything after the object.
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 2 });
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new BundleException($"Bundle index must be an object; found {reader.TokenType}.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var path = reader.GetString()!;
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw new BundleException($"Bundle index entry \"{path}\" is a {reader.TokenType}; expected a digest string.");
                }

                files.Add(new(path, reader.GetString()!));
                if (files.Count > limits.MaxEntries)
                {
                    throw new BundleException($"Bundle index lists more than {limits.MaxEntries} files, the entry limit.");
                }
            }

            while (reader.Read())
            {
                // Drains the reader so trailing content is reported.
            }
        }
        catch (JsonException e)
        {
            throw new BundleException($"Bundle index is not valid JSON: {e.Message}", e);
        }

        return Create(files);
    }

    private static bool IsSha256Digest(string digest) =>
        digest.Length == DigestPrefix.Length + 64
        && digest.StartsWith(DigestPrefix, StringComparison.Ordinal)
        && !digest.AsSpan(DigestPrefix.Length).ContainsAnyExcept("0123456789abcdef");

    private static string Truncate(string value) => value.Length <= 80 ? value : value[..80] + "...";

    private static void AppendString(StringBuilder json, string value)
    {
        json.Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                json.Append('\\');
            }

            json.Append(c);
        }

        json.Append('"');
    }
}
