using System.Security.Cryptography;

namespace FleetOrchestrator.Oci;

/// <summary>
/// A blob download that checks what it passes on: more bytes than expected fail at once; when the
/// expected count is reached the sha256 is checked (before the last bytes are handed out), and at
/// the end of the body a short count fails. Without a digest (a resumed download) only sizes are checked.
/// </summary>
internal sealed class VerifyingBlobStream : Stream
{
    private readonly Stream _body;
    private readonly IDisposable _response;
    private readonly string _subject;
    private readonly long _expectedBytes;
    private readonly Digest? _digest;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _received;
    private bool _digestChecked;

    public VerifyingBlobStream(Stream body, IDisposable response, string subject, long expectedBytes, Digest? digest)
    {
        _body = body;
        _response = response;
        _subject = subject;
        _expectedBytes = expectedBytes;
        _digest = digest;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _received; set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer) => Account(buffer[.._body.Read(buffer)], buffer.Length);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _body.ReadAsync(buffer, cancellationToken);
        return Account(buffer.Span[..read], buffer.Length);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Reads and drops the first bytes (still hashed), for a resume the server answered with the whole blob.</summary>
    public async Task SkipAsync(long count, CancellationToken ct)
    {
        var buffer = new byte[81920];
        while (count > 0)
        {
            var read = await ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), ct);
            if (read == 0) return;
            count -= read;
        }
    }

    private int Account(ReadOnlySpan<byte> data, int requested)
    {
        if (data.Length == 0)
        {
            if (requested == 0) return 0;
            if (_received < _expectedBytes)
                throw new OciIntegrityException(_subject + " size", $"{_expectedBytes} bytes", $"{_received} bytes before the end");
            CheckDigestOnce(); // an empty blob reaches its expected count only here
            return 0;
        }
        _received += data.Length;
        if (_received > _expectedBytes)
            throw new OciIntegrityException(_subject + " size", $"{_expectedBytes} bytes", $"more ({_received} so far)");
        _hash.AppendData(data);
        if (_received == _expectedBytes) CheckDigestOnce();
        return data.Length;
    }

    private void CheckDigestOnce()
    {
        if (_digestChecked || _digest is not { } expected) return;
        _digestChecked = true;
        var actual = Digest.FromSha256Hash(_hash.GetHashAndReset());
        if (actual != expected) throw new OciIntegrityException(_subject + " digest", expected.ToString(), actual.ToString());
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
            _response.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
