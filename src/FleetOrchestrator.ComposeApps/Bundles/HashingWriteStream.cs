using System.Security.Cryptography;

namespace FleetOrchestrator.ComposeApps.Bundles;

/// <summary>
/// Passes writes through to the destination while computing their sha256 and size, and stops
/// with an error once more than <paramref name="maxBytes"/> would be written.
/// </summary>
internal sealed class HashingWriteStream(Stream destination, long maxBytes) : Stream
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesWritten { get; private set; }

    /// <summary>"sha256:&lt;hex&gt;" of everything written; call once, after the last write.</summary>
    public string FinishDigest() => "sha256:" + Convert.ToHexStringLower(_sha256.GetHashAndReset());

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Account(buffer);
        destination.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Account(buffer.Span);
        return destination.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => destination.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => destination.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha256.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Account(ReadOnlySpan<byte> buffer)
    {
        if (BytesWritten + buffer.Length > maxBytes)
        {
            throw new BundleException($"The bundle grows past {maxBytes} bytes, the bundle size limit.");
        }

        BytesWritten += buffer.Length;
        _sha256.AppendData(buffer);
    }
}
