using System.Globalization;
using System.Text;

namespace FleetOrchestrator.ComposeApps.Bundles;

/// <summary>
/// Writes a POSIX pax (ustar + extended header) archive whose bytes depend only on the entries
/// given: owner and group 0 with empty names, all times 0, no device numbers. System.Formats.Tar
/// is not used for writing because its pax extended headers are named after the process id
/// ("PaxHeaders.&lt;pid&gt;"), which would make every run differ.
/// </summary>
internal sealed class TarArchiveWriter(Stream output)
{
    public const int BlockSize = 512;

    /// <summary>Largest size the 11 octal digits of a ustar header hold (8 GiB - 1).</summary>
    public const long MaxEntrySize = (1L << 33) - 1;

    /// <summary>Fixed name of extended headers, so two runs write the same bytes.</summary>
    private const string ExtendedHeaderName = "././@PaxHeader";

    private const int NameFieldBytes = 100;

    public const int FileMode = 0b110_100_100; // 0644
    public const int ExecutableMode = 0b111_101_101; // 0755
    public const int SymbolicLinkMode = 0b111_111_111; // 0777, as tar records links; the kernel ignores it

    private static readonly byte[] ZeroBlocks = new byte[2 * BlockSize];

    private readonly byte[] _header = new byte[BlockSize];

    public Task WriteDirectoryAsync(string path, CancellationToken cancellationToken) =>
        WriteHeaderAsync(path + "/", (byte)'5', ExecutableMode, size: 0, linkTarget: "", cancellationToken);

    public Task WriteSymbolicLinkAsync(string path, string target, CancellationToken cancellationToken) =>
        WriteHeaderAsync(path, (byte)'2', SymbolicLinkMode, size: 0, target, cancellationToken);

    /// <summary>Writes a regular file's header; the caller then writes exactly <paramref name="size"/> bytes and calls <see cref="EndFileAsync"/>.</summary>
    public Task BeginFileAsync(string path, int mode, long size, CancellationToken cancellationToken) =>
        WriteHeaderAsync(path, (byte)'0', mode, size, linkTarget: "", cancellationToken);

    public ValueTask WriteFileDataAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        output.WriteAsync(data, cancellationToken);

    /// <summary>Pads the file data written since <see cref="BeginFileAsync"/> to a whole block.</summary>
    public ValueTask EndFileAsync(long size, CancellationToken cancellationToken) => PadAsync(size, cancellationToken);

    /// <summary>Writes the two zero blocks that end an archive.</summary>
    public ValueTask FinishAsync(CancellationToken cancellationToken) => output.WriteAsync(ZeroBlocks, cancellationToken);

    private async Task WriteHeaderAsync(string name, byte typeFlag, int mode, long size, string linkTarget, CancellationToken cancellationToken)
    {
        if (size is < 0 or > MaxEntrySize)
        {
            throw new BundleException($"\"{name}\" is {size} bytes; a tar entry holds at most {MaxEntrySize} bytes.");
        }

        var records = new StringBuilder();
        var nameFits = FitsField(name);
        var linkFits = FitsField(linkTarget);
        if (!nameFits)
        {
            AppendRecord(records, "path", name);
        }

        if (!linkFits)
        {
            AppendRecord(records, "linkpath", linkTarget);
        }

        if (records.Length > 0)
        {
            var recordBytes = Encoding.UTF8.GetBytes(records.ToString());
            FillHeader(ExtendedHeaderName, (byte)'x', FileMode, recordBytes.Length, "");
            await output.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(recordBytes, cancellationToken).ConfigureAwait(false);
            await PadAsync(recordBytes.Length, cancellationToken).ConfigureAwait(false);
        }

        // When a pax record carries the real value, the ustar field keeps an ASCII stand-in.
        FillHeader(nameFits ? name : AsciiStandIn(name), typeFlag, mode, size, linkFits ? linkTarget : AsciiStandIn(linkTarget));
        await output.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
    }

    private void FillHeader(string name, byte typeFlag, int mode, long size, string linkTarget)
    {
        var header = _header.AsSpan();
        header.Clear();
        Encoding.ASCII.GetBytes(name, header[..NameFieldBytes]);
        WriteOctal(header.Slice(100, 8), mode);
        WriteOctal(header.Slice(108, 8), 0); // uid
        WriteOctal(header.Slice(116, 8), 0); // gid
        WriteOctal(header.Slice(124, 12), size);
        WriteOctal(header.Slice(136, 12), 0); // mtime
        header[156] = typeFlag;
        Encoding.ASCII.GetBytes(linkTarget, header.Slice(157, NameFieldBytes));
        "ustar\0"u8.CopyTo(header.Slice(257, 6));
        "00"u8.CopyTo(header.Slice(263, 2));
        WriteOctal(header.Slice(329, 8), 0); // devmajor
        WriteOctal(header.Slice(337, 8), 0); // devminor

        // The checksum is the byte sum with its own field read as spaces.
        header.Slice(148, 8).Fill((byte)' ');
        var checksum = 0;
        foreach (var b in header)
        {
            checksum += b;
        }

        WriteOctal(header.Slice(148, 7), checksum);
        header[155] = (byte)' ';
    }

    /// <summary>Zero-padded octal digits followed by a NUL, filling the field.</summary>
    private static void WriteOctal(Span<byte> field, long value)
    {
        var digits = Convert.ToString(value, 8).PadLeft(field.Length - 1, '0');
        Encoding.ASCII.GetBytes(digits, field);
        field[^1] = 0;
    }

    private static bool FitsField(string value) => value.Length <= NameFieldBytes && Ascii.IsValid(value);

    private static string AsciiStandIn(string value)
    {
        var ascii = string.Concat(value.Select(c => c < 128 ? c : '_'));
        return ascii.Length <= NameFieldBytes ? ascii : ascii[..NameFieldBytes];
    }

    /// <summary>Appends "&lt;length&gt; key=value\n" where the length counts the whole record, its own digits included.</summary>
    private static void AppendRecord(StringBuilder records, string key, string value)
    {
        var rest = Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value) + 3; // ' ', '=', '\n'
        var length = rest + 1;
        while (length != rest + length.ToString(CultureInfo.InvariantCulture).Length)
        {
            length = rest + length.ToString(CultureInfo.InvariantCulture).Length;
        }

        records.Append(CultureInfo.InvariantCulture, $"{length} {key}={value}\n");
    }

    private ValueTask PadAsync(long size, CancellationToken cancellationToken)
    {
        var padding = (int)((BlockSize - (size % BlockSize)) % BlockSize);
        return padding == 0 ? ValueTask.CompletedTask : output.WriteAsync(ZeroBlocks.AsMemory(0, padding), cancellationToken);
    }
}
