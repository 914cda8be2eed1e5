using System.Runtime.InteropServices;

namespace FleetOrchestrator.ComposeApps.Bundles;

/// <summary>The kind of a directory entry as lstat sees it.</summary>
internal enum UnixFileKind { RegularFile, Directory, SymbolicLink, CharacterDevice, BlockDevice, Fifo, Socket, Unknown }

/// <summary>
/// lstat through Linux statx(2). .NET reports sockets, fifos and devices as ordinary files, and
/// they must be refused, so the file type bits are read from the kernel; statx has the same
/// layout on every Linux architecture, unlike struct stat.
/// </summary>
internal static class UnixFileStatus
{
    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const uint StatxMode = 0x2;

    public static (UnixFileKind Kind, int PermissionBits) Lstat(string path)
    {
        if (Statx(AtCurrentDirectory, path, AtSymlinkNoFollow, StatxType | StatxMode, out var status) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"Cannot stat \"{path}\": {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }

        var kind = (status.Mode & 0xF000) switch
        {
            0x8000 => UnixFileKind.RegularFile,
            0x4000 => UnixFileKind.Directory,
            0xA000 => UnixFileKind.SymbolicLink,
            0x2000 => UnixFileKind.CharacterDevice,
            0x6000 => UnixFileKind.BlockDevice,
            0x1000 => UnixFileKind.Fifo,
            0xC000 => UnixFileKind.Socket,
            _ => UnixFileKind.Unknown,
        };
        return (kind, status.Mode & 0xFFF);
    }

    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)]
        public ushort Mode;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);
}
