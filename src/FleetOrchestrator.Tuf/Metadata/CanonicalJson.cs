using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>
/// Canonical JSON exactly as securesystemslib writes it (what TUF signatures cover): object keys
/// sorted by Unicode code point, no insignificant whitespace, strings escaping only <c>"</c> and
/// <c>\</c> (everything else, controls and non-ASCII included, is written as raw UTF-8), integers only.
/// </summary>
public static class CanonicalJson
{
    /// <summary>Nesting limit of <see cref="Parse"/>; TUF metadata needs about 8 levels plus custom data.</summary>
    public const int DefaultMaxDepth = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] Serialize(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        WriteNode(buffer, node);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(Stream output, JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        WriteNode(buffer, node);
        output.Write(buffer.WrittenSpan);
    }

    /// <summary>
    /// Parses JSON text strictly (any whitespace layout is accepted): invalid UTF-8, duplicate object
    /// keys, numbers that are not integers, comments, trailing commas and nesting deeper than
    /// <paramref name="maxDepth"/> are rejected with a <see cref="CanonicalJsonException"/>.
    /// </summary>
    public static JsonNode Parse(ReadOnlySpan<byte> utf8, int maxDepth = DefaultMaxDepth)
    {
        if (!Utf8.IsValid(utf8))
            throw new CanonicalJsonException($"invalid UTF-8 at byte offset {FirstInvalidUtf8Offset(utf8)}");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions
            {
                MaxDepth = maxDepth,
                AllowDuplicateProperties = false,
                AllowTrailingCommas = false,
                CommentHandling = JsonCommentHandling.Disallow,
            });
        }
        catch (JsonException e)
        {
            throw new CanonicalJsonException($"invalid JSON: {e.Message}");
        }
        if (node is null) throw new CanonicalJsonException("the document is the JSON literal null");
        CheckNumbers(node, "$");
        return node;
    }

    private static int FirstInvalidUtf8Offset(ReadOnlySpan<byte> utf8)
    {
        Utf8.ToUtf16(utf8, new char[utf8.Length], out var read, out _, replaceInvalidSequences: false);
        return read;
    }

    private static void CheckNumbers(JsonNode node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                    if (value is not null) CheckNumbers(value, path + "." + key);
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                    if (array[i] is { } item) CheckNumbers(item, $"{path}[{i}]");
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                var text = value.ToJsonString();
                if (!IsInteger(text))
                    throw new CanonicalJsonException($"canonical JSON allows integers only, found the number {text} at {path}");
                break;
        }
    }

    private static void WriteNode(IBufferWriter<byte> w, JsonNode? node)
    {
        switch (node)
        {
            case null:
                Ascii(w, "null");
                break;
            case JsonObject obj:
                var members = new KeyValuePair<string, JsonNode?>[obj.Count];
                var n = 0;
                foreach (var member in obj) members[n++] = member;
                Array.Sort(members, static (a, b) => CompareByCodePoint(a.Key, b.Key));
                Byte(w, (byte)'{');
                for (var i = 0; i < members.Length; i++)
                {
                    if (i > 0) Byte(w, (byte)',');
                    WriteString(w, members[i].Key);
                    Byte(w, (byte)':');
                    WriteNode(w, members[i].Value);
                }
                Byte(w, (byte)'}');
                break;
            case JsonArray array:
                Byte(w, (byte)'[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0) Byte(w, (byte)',');
                    WriteNode(w, array[i]);
                }
                Byte(w, (byte)']');
                break;
            case JsonValue value:
                WriteValue(w, value);
                break;
        }
    }

    private static void WriteValue(IBufferWriter<byte> w, JsonValue value)
    {
        var kind = value.GetValueKind();
        switch (kind)
        {
            case JsonValueKind.String:
                WriteString(w, value.GetValue<string>());
                break;
            case JsonValueKind.True: Ascii(w, "true"); break;
            case JsonValueKind.False: Ascii(w, "false"); break;
            case JsonValueKind.Null: Ascii(w, "null"); break;
            case JsonValueKind.Number:
                var text = value.ToJsonString();
                if (!IsInteger(text))
                    throw new CanonicalJsonException($"canonical JSON allows integers only, found the number {text}");
                // Python reads -0 as the integer 0.
                Ascii(w, text == "-0" ? "0" : text);
                break;
            default:
                throw new CanonicalJsonException($"unsupported JSON value kind {kind}");
        }
    }

    private static bool IsInteger(string text)
    {
        var span = text.AsSpan();
        if (span.Length > 0 && span[0] == '-') span = span[1..];
        return span.Length > 0 && !span.ContainsAnyExceptInRange('0', '9');
    }

    private static void WriteString(IBufferWriter<byte> w, string s)
    {
        byte[] utf8;
        try
        {
            utf8 = StrictUtf8.GetBytes(s);
        }
        catch (EncoderFallbackException)
        {
            throw new CanonicalJsonException($"string with an unpaired surrogate cannot be written as UTF-8: {s}");
        }
        Byte(w, (byte)'"');
        ReadOnlySpan<byte> rest = utf8;
        while (true)
        {
            var next = rest.IndexOfAny((byte)'"', (byte)'\\');
            if (next < 0) break;
            Bytes(w, rest[..next]);
            Byte(w, (byte)'\\');
            Byte(w, rest[next]);
            rest = rest[(next + 1)..];
        }
        Bytes(w, rest);
        Byte(w, (byte)'"');
    }

    /// <summary>
    /// Python sorts str keys by code point; UTF-16 ordinal order differs only where a surrogate
    /// (U+D800..U+DFFF, i.e. a char above U+FFFF) meets a char in U+E000..U+FFFF, so those are remapped.
    /// </summary>
    internal static int CompareByCodePoint(string a, string b)
    {
        var common = a.AsSpan().CommonPrefixLength(b);
        if (common == a.Length || common == b.Length) return a.Length.CompareTo(b.Length);
        return CodePointRank(a[common]).CompareTo(CodePointRank(b[common]));
    }

    private static int CodePointRank(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;

    private static void Byte(IBufferWriter<byte> w, byte b)
    {
        w.GetSpan(1)[0] = b;
        w.Advance(1);
    }

    private static void Bytes(IBufferWriter<byte> w, ReadOnlySpan<byte> bytes) => w.Write(bytes);

    private static void Ascii(IBufferWriter<byte> w, string s)
    {
        var span = w.GetSpan(s.Length);
        for (var i = 0; i < s.Length; i++) span[i] = (byte)s[i];
        w.Advance(s.Length);
    }
}

/// <summary>JSON text that is not valid canonical-JSON input (or a value canonical JSON cannot represent).</summary>
public sealed class CanonicalJsonException(string message) : Exception(message);
