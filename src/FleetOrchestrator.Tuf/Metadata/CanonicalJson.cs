using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>
/// Canonical JSON exactly as securesystemslib writes it (what TUF signatures cover): object keys
/// sorted by Unicode code point, no insignificant whitespace, strings escaping only <c>"</c> and
/// <c>\</c> (everything else, controls and non-ASCII included, is written as raw UTF-8), integers only.
/// </summary>
public static class CanonicalJson
{
    public static byte[] Serialize(JsonNode? node)
    {
        using var stream = new MemoryStream();
        Write(stream, node);
        return stream.ToArray();
    }

    public static void Write(Stream output, JsonNode? node)
    {
        var buffer = new ArrayBufferWriterStream(output);
        WriteNode(buffer, node);
        buffer.Flush();
    }

    private static void WriteNode(ArrayBufferWriterStream w, JsonNode? node)
    {
        switch (node)
        {
            case null:
                w.Ascii("null");
                break;
            case JsonObject obj:
                w.Byte((byte)'{');
                var first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, CodePointComparer.Instance))
                {
                    if (!first) w.Byte((byte)',');
                    first = false;
                    WriteString(w, key);
                    w.Byte((byte)':');
                    WriteNode(w, value);
                }
                w.Byte((byte)'}');
                break;
            case JsonArray array:
                w.Byte((byte)'[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0) w.Byte((byte)',');
                    WriteNode(w, array[i]);
                }
                w.Byte((byte)']');
                break;
            case JsonValue value:
                WriteValue(w, value);
                break;
        }
    }

    private static void WriteValue(ArrayBufferWriterStream w, JsonValue value)
    {
        var element = value.GetValueKind();
        switch (element)
        {
            case JsonValueKind.String:
                WriteString(w, value.GetValue<object>() is JsonElement e ? e.GetString()! : value.ToString());
                break;
            case JsonValueKind.True: w.Ascii("true"); break;
            case JsonValueKind.False: w.Ascii("false"); break;
            case JsonValueKind.Null: w.Ascii("null"); break;
            case JsonValueKind.Number:
                var text = value.ToJsonString();
                if (!IsInteger(text))
                    throw new CanonicalJsonException($"canonical JSON allows integers only, found the number {text}");
                w.Ascii(text.StartsWith("-0", StringComparison.Ordinal) && text.Length == 2 ? "0" : text);
                break;
            default:
                throw new CanonicalJsonException($"unsupported JSON value kind {element}");
        }
    }

    private static bool IsInteger(string text)
    {
        var span = text.AsSpan();
        if (span.Length > 0 && span[0] == '-') span = span[1..];
        if (span.Length == 0) return false;
        foreach (var c in span) if (c is < '0' or > '9') return false;
        return true;
    }

    private static void WriteString(ArrayBufferWriterStream w, string s)
    {
        w.Byte((byte)'"');
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in s.EnumerateRunes())
        {
            if (rune.Value == '"' || rune.Value == '\\') w.Byte((byte)'\\');
            var n = rune.EncodeToUtf8(utf8);
            w.Bytes(utf8[..n]);
        }
        w.Byte((byte)'"');
    }

    /// <summary>Python sorts str keys by code point; UTF-16 ordinal order differs above U+FFFF.</summary>
    private sealed class CodePointComparer : IComparer<string>
    {
        public static readonly CodePointComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = x!.EnumerateRunes();
            var b = y!.EnumerateRunes();
            while (true)
            {
                var hasA = a.MoveNext();
                var hasB = b.MoveNext();
                if (!hasA || !hasB) return hasA.CompareTo(hasB);
                var c = a.Current.Value.CompareTo(b.Current.Value);
                if (c != 0) return c;
            }
        }
    }

    /// <summary>Small buffered byte writer so large documents are not written byte by byte.</summary>
    private sealed class ArrayBufferWriterStream(Stream output)
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _count;

        public void Byte(byte b)
        {
            if (_count == _buffer.Length) Flush();
            _buffer[_count++] = b;
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            if (_count + bytes.Length > _buffer.Length) Flush();
            bytes.CopyTo(_buffer.AsSpan(_count));
            _count += bytes.Length;
        }

        public void Ascii(string s)
        {
            foreach (var c in s) Byte((byte)c);
        }

        public void Flush()
        {
            output.Write(_buffer, 0, _count);
            _count = 0;
        }
    }
}

public sealed class CanonicalJsonException(string message) : Exception(message);
