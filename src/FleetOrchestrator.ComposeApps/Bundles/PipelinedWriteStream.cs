using System.Buffers;
using System.Threading.Channels;

namespace FleetOrchestrator.ComposeApps.Bundles;

/// <summary>
/// A write-only stream that hands full chunks to a background task writing them, in order, to
/// <paramref name="destination"/>. Reading and hashing files then overlaps with compression,
/// which is what a <c>tar | gzip</c> pipeline gets from running two processes.
/// </summary>
internal sealed class PipelinedWriteStream : Stream
{
    private const int ChunkBytes = 256 * 1024;
    private const int ChunksInFlight = 8;

    private readonly Channel<(byte[] Buffer, int Count)> _chunks =
        Channel.CreateBounded<(byte[] Buffer, int Count)>(new BoundedChannelOptions(ChunksInFlight) { SingleReader = true, SingleWriter = true });

    private readonly Task _consumer;
    private byte[] _current = ArrayPool<byte>.Shared.Rent(ChunkBytes);
    private int _filled;

    public PipelinedWriteStream(Stream destination, CancellationToken cancellationToken) =>
        _consumer = Task.Run(() => ConsumeAsync(destination, cancellationToken), cancellationToken);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var count = Math.Min(buffer.Length, _current.Length - _filled);
            buffer.Span[..count].CopyTo(_current.AsSpan(_filled));
            _filled += count;
            buffer = buffer[count..];
            if (_filled == _current.Length)
            {
                await SendCurrentAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Sends what is buffered, waits until the background task has written everything, and surfaces its failure if any.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_filled > 0)
        {
            await SendCurrentAsync(cancellationToken).ConfigureAwait(false);
        }

        _chunks.Writer.TryComplete();
        await _consumer.ConfigureAwait(false);
    }

    public override void Write(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("Write asynchronously: a synchronous write could block on the background writer.");

    public override void Flush()
    {
        // Data is pushed by CompleteAsync; flushing part of a chunk early would only slow the pipeline.
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Waits for the background task to stop, so the destination is no longer written when the
    /// caller disposes it. Its failure, if any, was already surfaced by <see cref="CompleteAsync"/>
    /// or is superseded by the failure that made the caller stop early.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        _chunks.Writer.TryComplete();
        await _consumer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task SendCurrentAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _chunks.Writer.WriteAsync((_current, _filled), cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // The background writer failed and closed the channel; its exception is the one to report.
            await _consumer.ConfigureAwait(false);
            throw;
        }

        _current = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        _filled = 0;
    }

    private async Task ConsumeAsync(Stream destination, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var (buffer, count) in _chunks.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await destination.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception e)
        {
            _chunks.Writer.TryComplete(e);
            throw;
        }
    }
}
