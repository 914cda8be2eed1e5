using System.Buffers;
using System.Runtime.InteropServices;
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
    private static readonly SearchValues<byte> EscapedInValidJson =
        SearchValues.Create([.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'"', (byte)'\\']);

    public static byte[] Serialize(JsonNode? node) => Build(w => WriteNode(w, node, escapeControlCharacters: false));

    /// <summary>Canonical form of a parsed element (as received: the bytes a signature over it covers).</summary>
    public static byte[] Serialize(JsonElement element)
    {
        // Canonical output is never longer than the received text except for \u-escaped names, so this rarely grows.
        var buffer = new ArrayBufferWriter<byte>(Math.Max(256, JsonMarshal.GetRawUtf8Value(element).Length));
        WriteElement(buffer, element, escapeControlCharacters: false);
        // Received metadata is usually canonical already, so the output fills the presized buffer exactly:
        // hand that array out instead of copying megabytes of a large targets file once more.
        return MemoryMarshal.TryGetArray(buffer.WrittenMemory, out var written)
               && written.Offset == 0 && written.Count == written.Array!.Length
            ? written.Array
            : buffer.WrittenSpan.ToArray();
    }

    public static void Write(Stream output, JsonNode? node) => output.Write(Serialize(node));

    /// <summary>
    /// The canonical bytes of a parsed element, without a copy when the received text is already canonical (the
    /// common case: repositories write canonical JSON): then they are the slice of <paramref name="source"/> the
    /// element was parsed from. Otherwise the element is canonicalised (<see cref="Serialize(JsonElement)"/>).
    /// </summary>
    internal static ReadOnlyMemory<byte> CanonicalBytes(byte[] source, JsonElement element)
    {
        var text = JsonMarshal.GetRawUtf8Value(element);
        return source.AsSpan().Overlaps(text, out var offset) && IsCanonical(text)
            ? source.AsMemory(offset, text.Length)
            : Serialize(element);
    }

    /// <summary>
    /// Whether valid JSON text is exactly its canonical form: no whitespace between tokens, object keys strictly
    /// increasing in UTF-8 byte (= code point) order, strings escaping only <c>"</c> and <c>\</c>, integers only
    /// and no <c>-0</c>. One forward pass; false for anything unusual, which the caller then canonicalises.
    /// </summary>
    internal static bool IsCanonical(ReadOnlySpan<byte> text)
    {
        var reader = new Utf8JsonReader(text, new JsonReaderOptions { MaxDepth = DefaultMaxDepth + 1 });
        // The last key seen in each open object, as a range of text (-1: none yet).
        Span<int> lastKeyStart = stackalloc int[DefaultMaxDepth + 2];
        Span<int> lastKeyLength = stackalloc int[DefaultMaxDepth + 2];
        var end = 0;
        try
        {
            while (reader.Read())
            {
                var start = (int)reader.TokenStartIndex;
                // Between two tokens there may be nothing or one ',' / ':' (the reader checked which one fits).
                if (start != end && (start != end + 1 || (text[end] != (byte)',' && text[end] != (byte)':'))) return false;
                var value = reader.ValueSpan;
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        lastKeyStart[reader.CurrentDepth + 1] = -1;
                        end = start + 1;
                        break;
                    case JsonTokenType.StartArray or JsonTokenType.EndObject or JsonTokenType.EndArray:
                        end = start + 1;
                        break;
                    case JsonTokenType.PropertyName:
                        if (reader.ValueIsEscaped) return false;
                        var depth = reader.CurrentDepth;
                        if (lastKeyStart[depth] >= 0 && text.Slice(lastKeyStart[depth], lastKeyLength[depth]).SequenceCompareTo(value) >= 0) return false;
                        lastKeyStart[depth] = start + 1;
                        lastKeyLength[depth] = value.Length;
                        end = start + value.Length + 2;
                        break;
                    case JsonTokenType.String:
                        if (reader.ValueIsEscaped && !EscapesOnlyQuoteAndBackslash(value)) return false;
                        end = start + value.Length + 2;
                        break;
                    case JsonTokenType.Number:
                        if (!IsInteger(value) || value.SequenceEqual("-0"u8)) return false;
                        end = start + value.Length;
                        break;
                    default: // true, false, null
                        end = start + value.Length;
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }
        return end == text.Length;
    }

    private static bool EscapesOnlyQuoteAndBackslash(ReadOnlySpan<byte> raw)
    {
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\') continue;
            if (i + 1 == raw.Length || raw[i + 1] is not ((byte)'"' or (byte)'\\')) return false;
            i++;
        }
        return true;
    }

    /// <summary>
    /// The canonical layout (sorted keys, no whitespace) but with control characters escaped as <c>\u00XX</c>,
    /// so any JSON parser reads it: canonical JSON itself is not valid JSON when a string holds a newline
    /// (PEM public keys do). Used for metadata files, whose signatures cover the canonical form of <c>signed</c>.
    /// Equal to <see cref="Serialize(JsonNode?)"/> when no string holds a control character.
    /// </summary>
    public static byte[] SerializeAsValidJson(JsonNode? node) => Build(w => WriteNode(w, node, escapeControlCharacters: true));

    private static byte[] Build(Action<ArrayBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        write(buffer);
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
        var root = ParseDocument(utf8, maxDepth).RootElement;
        CheckStrict(root, "$");
        return JsonFields.NodeOf(root) ?? throw new CanonicalJsonException("the document is the JSON literal null");
    }

    /// <summary>
    /// The strict parse of <see cref="Parse"/> minus the integer and duplicate-key checks, which
    /// <see cref="Serialize(JsonElement)"/> (while sorting) or <see cref="CheckStrict"/> do. The document is left
    /// to the GC: elements and nodes made from it stay valid.
    /// </summary>
    internal static JsonDocument ParseDocument(ReadOnlySpan<byte> utf8, int maxDepth = DefaultMaxDepth) =>
        ParseDocument(utf8.ToArray(), maxDepth);

    /// <summary>As <see cref="ParseDocument(ReadOnlySpan{byte}, int)"/> over an array the document may keep referencing (it is not modified).</summary>
    internal static JsonDocument ParseDocument(byte[] utf8, int maxDepth = DefaultMaxDepth)
    {
        if (!Utf8.IsValid(utf8))
            throw new CanonicalJsonException($"invalid UTF-8 at byte offset {FirstInvalidUtf8Offset(utf8)}");
        var text = EscapeControlCharactersInStrings(utf8) ?? utf8;
        try
        {
            return JsonDocument.Parse(text, new JsonDocumentOptions
            {
                MaxDepth = maxDepth,
                AllowTrailingCommas = false,
                CommentHandling = JsonCommentHandling.Disallow,
            });
        }
        catch (JsonException e)
        {
            throw new CanonicalJsonException($"invalid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// Throws unless every number under <paramref name="element"/> is an integer and no object repeats a key;
    /// the subtree of member <paramref name="skipMember"/> of the top object is left out (checked elsewhere).
    /// </summary>
    internal static void CheckStrict(JsonElement element, string path, string? skipMember = null)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var member in element.EnumerateObject())
                {
                    if (!names.Add(member.Name)) throw DuplicateKey(member.Name, path);
                    if (member.Name != skipMember) CheckStrict(member.Value, path + "." + member.Name);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray()) CheckStrict(item, $"{path}[{i++}]");
                break;
            case JsonValueKind.Number when !IsInteger(JsonMarshal.GetRawUtf8Value(element)):
                throw NotAnInteger(Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8Value(element)), path);
        }
    }

    private static CanonicalJsonException DuplicateKey(string name, string? path) =>
        new($"duplicate key \"{name}\"{(path is null ? "" : " in the object at " + path)}");

    private static CanonicalJsonException NotAnInteger(string text, string? path) =>
        new($"canonical JSON allows integers only, found the number {text}{(path is null ? "" : " at " + path)}");

    /// <summary>A copy with raw bytes below 0x20 inside strings written as \u00XX escapes, or null when there are none.</summary>
    private static byte[]? EscapeControlCharactersInStrings(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IndexOfAnyInRange((byte)0, (byte)0x1f) < 0) return null;
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
                Ascii(output, $"\\u{b:x4}");
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

    // ---- writing parsed elements (the fast path used to check signatures) --------------------------------

    private static void WriteElement(IBufferWriter<byte> w, JsonElement element, bool escapeControlCharacters)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var count = element.GetPropertyCount();
                var members = ArrayPool<Member>.Shared.Rent(count);
                try
                {
                    var n = 0;
                    var sorted = true;
                    foreach (var property in element.EnumerateObject())
                    {
                        // Escaped names are unescaped once; plain names are compared in place (no copy).
                        members[n] = new Member(property, JsonMarshal.GetRawUtf8PropertyName(property).Contains((byte)'\\') ? Utf8Of(property.Name) : null);
                        if (n > 0 && Member.Compare(members[n - 1], members[n]) >= 0) sorted = false;
                        n++;
                    }
                    if (!sorted)
                    {
                        // Sorting puts a repeated key next to itself: duplicates are found here at no extra cost.
                        Array.Sort(members, 0, count, Member.Comparer);
                        for (var i = 1; i < count; i++)
                            if (Member.Compare(members[i - 1], members[i]) == 0) throw DuplicateKey(members[i].Property.Name, null);
                    }
                    Byte(w, (byte)'{');
                    for (var i = 0; i < count; i++)
                    {
                        if (i > 0) Byte(w, (byte)',');
                        WriteUtf8String(w, members[i].Name, escapeControlCharacters);
                        Byte(w, (byte)':');
                        WriteElement(w, members[i].Property.Value, escapeControlCharacters);
                    }
                    Byte(w, (byte)'}');
                }
                finally
                {
                    ArrayPool<Member>.Shared.Return(members, clearArray: true);
                }
                break;
            case JsonValueKind.Array:
                Byte(w, (byte)'[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first) Byte(w, (byte)',');
                    first = false;
                    WriteElement(w, item, escapeControlCharacters);
                }
                Byte(w, (byte)']');
                break;
            case JsonValueKind.String:
                var quoted = JsonMarshal.GetRawUtf8Value(element);
                var content = quoted[1..^1];
                // Without a backslash the raw text is the value itself (JSON has no raw '"' or control chars in strings).
                if (content.Contains((byte)'\\')) WriteUtf8String(w, Utf8Of(element.GetString()!), escapeControlCharacters);
                else WriteQuoted(w, content);
                break;
            case JsonValueKind.Number:
                WriteInteger(w, JsonMarshal.GetRawUtf8Value(element));
                break;
            case JsonValueKind.True: Ascii(w, "true"); break;
            case JsonValueKind.False: Ascii(w, "false"); break;
            default: Ascii(w, "null"); break;
        }
    }

    /// <summary>An object member being sorted; UTF-8 byte order of the names is code point order.</summary>
    private readonly record struct Member(JsonProperty Property, byte[]? Unescaped)
    {
        public static readonly IComparer<Member> Comparer = Comparer<Member>.Create(Compare);

        public ReadOnlySpan<byte> Name => Unescaped ?? JsonMarshal.GetRawUtf8PropertyName(Property);

        public static int Compare(Member a, Member b) => a.Name.SequenceCompareTo(b.Name);
    }

    // ---- writing built nodes -----------------------------------------------------------------------------

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
                    WriteUtf8String(w, Utf8Of(members[i].Key), escapeControlCharacters);
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
            case JsonValue value when value.TryGetValue<JsonElement>(out var element):
                WriteElement(w, element, escapeControlCharacters);
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
                WriteUtf8String(w, Utf8Of(value.GetValue<string>()), escapeControlCharacters);
                break;
            case JsonValueKind.True: Ascii(w, "true"); break;
            case JsonValueKind.False: Ascii(w, "false"); break;
            case JsonValueKind.Null: Ascii(w, "null"); break;
            case JsonValueKind.Number:
                WriteInteger(w, Encoding.ASCII.GetBytes(value.ToJsonString()));
                break;
            default:
                throw new CanonicalJsonException($"unsupported JSON value kind {kind}");
        }
    }

    // ---- shared pieces -----------------------------------------------------------------------------------

    private static void WriteInteger(IBufferWriter<byte> w, ReadOnlySpan<byte> text)
    {
        if (!IsInteger(text)) throw NotAnInteger(Encoding.UTF8.GetString(text), null);
        // Python reads -0 as the integer 0.
        if (text.SequenceEqual("-0"u8)) Byte(w, (byte)'0');
        else w.Write(text);
    }

    private static bool IsInteger(ReadOnlySpan<byte> text)
    {
        if (text.Length > 0 && text[0] == '-') text = text[1..];
        return text.Length > 0 && !text.ContainsAnyExceptInRange((byte)'0', (byte)'9');
    }

    private static byte[] Utf8Of(string s)
    {
        try
        {
            return StrictUtf8.GetBytes(s);
        }
        catch (EncoderFallbackException)
        {
            throw new CanonicalJsonException($"string with an unpaired surrogate cannot be written as UTF-8: {s}");
        }
    }

    private static void WriteQuoted(IBufferWriter<byte> w, ReadOnlySpan<byte> content)
    {
        var span = w.GetSpan(content.Length + 2);
        span[0] = (byte)'"';
        content.CopyTo(span[1..]);
        span[content.Length + 1] = (byte)'"';
        w.Advance(content.Length + 2);
    }

    /// <summary>Writes a UTF-8 string quoted, escaping <c>"</c> and <c>\</c> (and control chars as \u00XX when asked).</summary>
    private static void WriteUtf8String(IBufferWriter<byte> w, ReadOnlySpan<byte> utf8, bool escapeControlCharacters)
    {
        Byte(w, (byte)'"');
        var rest = utf8;
        while (true)
        {
            var next = escapeControlCharacters ? rest.IndexOfAny(EscapedInValidJson) : rest.IndexOfAny((byte)'"', (byte)'\\');
            if (next < 0) break;
            w.Write(rest[..next]);
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
        w.Write(rest);
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

    private static void Ascii(IBufferWriter<byte> w, string s)
    {
        var span = w.GetSpan(s.Length);
        for (var i = 0; i < s.Length; i++) span[i] = (byte)s[i];
        w.Advance(s.Length);
    }
}

/// <summary>JSON text that is not valid canonical-JSON input (or a value canonical JSON cannot represent).</summary>
public sealed class CanonicalJsonException(string message) : Exception(message);
