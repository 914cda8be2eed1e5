using System.Text;
using System.Text.Json;

namespace FleetOrchestrator.CommandProtocol;

/// <summary>A frame that cannot be read: too long, not JSON, or not a frame; <see cref="Code"/> is the error code to answer with.</summary>
public sealed class FrameException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}

/// <summary>Newline-delimited JSON frames over a stream, each bounded in size.</summary>
public sealed class FrameCodec
{
    public const int ProtocolVersion = 1;
    /// <summary>Largest client frame the host reads.</summary>
    public const int MaxClientFrameBytes = 64 * 1024;
    /// <summary>Largest host frame a client reads (a table page is the biggest).</summary>
    public const int MaxServerFrameBytes = 1024 * 1024;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        MaxDepth = 32,
        AllowOutOfOrderMetadataProperties = true,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly Stream _stream;
    private readonly int _maxFrameBytes;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;

    public FrameCodec(Stream stream, int maxFrameBytes)
    {
        _stream = stream;
        _maxFrameBytes = maxFrameBytes;
        _buffer = new byte[maxFrameBytes + 1];
    }

    /// <summary>The next frame, or null at the end of the stream. A frame over the limit, or bad JSON, throws <see cref="FrameException"/>.</summary>
    public async Task<T?> ReadAsync<T>(CancellationToken cancellation) where T : class
    {
        var line = await ReadLineAsync(cancellation);
        if (line is null) return null;
        return Decode<T>(line.Value.Span);
    }

    public static T Decode<T>(ReadOnlySpan<byte> line) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(line, Json) ?? throw new FrameException(ErrorCodes.BadFrame, "a frame must be a JSON object, not null");
        }
        catch (JsonException e)
        {
            throw new FrameException(ErrorCodes.BadFrame, $"not a valid frame: {e.Message}", e);
        }
        catch (NotSupportedException e)
        {
            // Raised for an object without "type": the abstract frame type cannot be created.
            throw new FrameException(ErrorCodes.BadFrame, $"not a valid frame: a frame needs a \"type\" ({e.Message})", e);
        }
    }

    public Task WriteAsync(ServerFrame frame, CancellationToken cancellation) => WriteLineAsync(Encode(frame), cancellation);

    public Task WriteAsync(ClientFrame frame, CancellationToken cancellation) => WriteLineAsync(Encode(frame), cancellation);

    /// <summary>The frame as one line (JSON with its "type", and the newline).</summary>
    public static byte[] Encode(ServerFrame frame) => Line(JsonSerializer.SerializeToUtf8Bytes(frame, Json));

    public static byte[] Encode(ClientFrame frame) => Line(JsonSerializer.SerializeToUtf8Bytes(frame, Json));

    private async Task WriteLineAsync(byte[] bytes, CancellationToken cancellation)
    {
        if (bytes.Length > _maxFrameBytes + 1)
            throw new FrameException(ErrorCodes.FrameTooLarge, $"frame of {bytes.Length} bytes is over the {_maxFrameBytes}-byte limit");
        await _stream.WriteAsync(bytes, cancellation);
        await _stream.FlushAsync(cancellation);
    }

    private static byte[] Line(byte[] json)
    {
        var bytes = new byte[json.Length + 1];
        json.CopyTo(bytes, 0);
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    private async Task<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken cancellation)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var line = _buffer.AsMemory(_start, newline - _start).ToArray();
                _start = newline + 1;
                // An empty line (e.g. a bare "\r\n" from a terminal) is not a frame: skip it.
                if (line.Length == 0 || (line.Length == 1 && line[0] == '\r')) continue;
                return line;
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
                throw new FrameException(ErrorCodes.FrameTooLarge, $"frame over the {_maxFrameBytes}-byte limit (no newline within {_maxFrameBytes} bytes)");
            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellation);
            if (read == 0)
            {
                if (_end == 0) return null;
                throw new FrameException(ErrorCodes.BadFrame, $"the stream ended inside a frame ({_end} bytes without a newline): {Preview()}");
            }
            _end += read;
        }
    }

    private string Preview() => Encoding.UTF8.GetString(_buffer, 0, Math.Min(_end, 80));
}
