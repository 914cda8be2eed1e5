namespace FleetOrchestrator.ComposeApps.Bundles;

/// <summary>Reads through to the source and fails once more than <paramref name="maxBytes"/> have come out of it.</summary>
internal sealed class LimitedReadStream(Stream source, long maxBytes) : Stream
{
    private long _bytesRead;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => Account(source.Read(buffer));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Account(await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Account(int read)
    {
        _bytesRead += read;
        if (_bytesRead > maxBytes)
        {
            throw new BundleException($"The bundle is larger than {maxBytes} bytes, the bundle size limit.");
        }

        return read;
    }
}
