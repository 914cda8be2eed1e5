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

    private static readonly SearchValues<byte> EscapedInValidJson = SearchValues.Create([.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'"', (byte)'\\']);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] Serialize(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        WriteNode(buffer, node, escapeControlCharacters: false);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(Stream output, JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        WriteNode(buffer, node, escapeControlCharacters: false);
        output.Write(buffer.WrittenSpan);
    }

    /// <summary>
    /// The canonical layout (sorted keys, no whitespace) but with control characters escaped as <c>\u00XX</c>,
    /// so any JSON parser reads it: canonical JSON itself is not valid JSON when a string holds a newline
    /// (PEM public keys do). Used for metadata files, whose signatures cover the canonical form of <c>signed</c>.
    /// Equal to <see cref="Serialize"/> when no string holds a control character.
    /// </summary>
    public static byte[] SerializeAsValidJson(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        WriteNode(buffer, node, escapeControlCharacters: true);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Parses JSON text strictly (any whitespace layout is accepted): invalid UTF-8, duplicate object
    /// keys, numbers that are not integers, comments, trailing commas and nesting deeper than
    /// <paramref name="maxDepth"/> are rejected with a <see cref="CanonicalJsonException"/>. Raw control
    /// characters inside strings are accepted, because canonical JSON itself writes them unescaped
    /// (a PEM public key's newlines), so a canonical payload parses back.
    /// </summary>
    public static JsonNode Parse(ReadOnlySpan<byte> utf8, int maxDepth = DefaultMaxDepth)
    {
        if (!Utf8.IsValid(utf8))
            throw new CanonicalJsonException($"invalid UTF-8 at byte offset {FirstInvalidUtf8Offset(utf8)}");
        if (EscapeControlCharactersInStrings(utf8) is { } escaped) utf8 = escaped;
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

    /// <summary>A copy with raw bytes below 0x20 inside strings written as \u00XX escapes, or null when there are none.</summary>
    private static byte[]? EscapeControlCharactersInStrings(ReadOnlySpan<byte> utf8)
    {
        var first = utf8.IndexOfAnyInRange((byte)0, (byte)0x1f);
        if (first < 0) return null;
        ArrayBufferWriter<byte>? output = null;
        var inString = false;
        var copiedUpTo = 0;
        for (var i = 0; i < utf8.Length; i++)
        {
            var b = utf8[i];
            if (inString && b == (byte)'\\') i++;
            else if (b == (byte)'"') inString = !inString;
            else if (inString && b < 0x20)
            {
                output ??= new ArrayBufferWriter<byte>(utf8.Length + 64);
                output.Write(utf8[copiedUpTo..i]);
                output.Write(Encoding.ASCII.GetBytes($"\\u{b:x4}"));
                copiedUpTo = i + 1;
            }
        }
        if (output is null) return null;
        output.Write(utf8[copiedUpTo..]);
        return output.WrittenSpan.ToArray();
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

    private static void WriteNode(IBufferWriter<byte> w, JsonNode? node, bool escapeControlCharacters)
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
                    WriteString(w, members[i].Key, escapeControlCharacters);
                    Byte(w, (byte)':');
                    WriteNode(w, members[i].Value, escapeControlCharacters);
                }
                Byte(w, (byte)'}');
                break;
            case JsonArray array:
                Byte(w, (byte)'[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0) Byte(w, (byte)',');
                    WriteNode(w, array[i], escapeControlCharacters);
                }
                Byte(w, (byte)']');
                break;
            case JsonValue value:
                WriteValue(w, value, escapeControlCharacters);
                break;
        }
    }

    private static void WriteValue(IBufferWriter<byte> w, JsonValue value, bool escapeControlCharacters)
    {
        var kind = value.GetValueKind();
        switch (kind)
        {
            case JsonValueKind.String:
                WriteString(w, value.GetValue<string>(), escapeControlCharacters);
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

    private static void WriteString(IBufferWriter<byte> w, string s, bool escapeControlCharacters)
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
            var next = escapeControlCharacters ? rest.IndexOfAny(EscapedInValidJson) : rest.IndexOfAny((byte)'"', (byte)'\\');
            if (next < 0) break;
            Bytes(w, rest[..next]);
            if (rest[next] < 0x20)
            {
                Ascii(w, $"\\u{rest[next]:x4}");
            }
            else
            {
                Byte(w, (byte)'\\');
                Byte(w, rest[next]);
            }
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
