using System.Runtime.InteropServices;
using System.Text;

namespace Liaa.Node.Storage;

/// <summary>
/// The two file-system steps crash safety rests on: replacing a small file atomically (write a temporary
/// file, flush it to disk, rename it over the old one, flush the directory), and flushing a directory so a
/// create or rename survives a power cut, not only a crash of the process.
/// </summary>
/// <remarks>
/// A process killed with <c>kill -9</c> loses nothing the kernel already holds; the flushes are for the
/// machine going down. POSIX makes <c>rename</c> atomic: a reader sees the old file or the new one, never a
/// mix. .NET offers no way to flush a directory, hence the two libc calls (skipped on Windows, where NTFS
/// journals renames).
/// </remarks>
internal static class DurableFiles
{
    /// <summary>Replaces <paramref name="path"/> with <paramref name="text"/> atomically and durably.</summary>
    public static void ReplaceText(string path, string text) => Replace(path, Encoding.UTF8.GetBytes(text));

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> atomically and durably.</summary>
    public static void Replace(string path, ReadOnlySpan<byte> content)
    {
        var temporary = path + ".tmp";
        using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            RandomAccess.Write(handle, content, 0);
            RandomAccess.FlushToDisk(handle);
        }

        File.Move(temporary, path, overwrite: true);
        FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Flushes the directory entry list to disk (creates, renames, deletes), where the platform allows it.</summary>
    public static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = NativeMethods.open(directory, NativeMethods.ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory {directory} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (NativeMethods.fsync(fd) != 0)
            {
                throw new IOException($"Cannot flush directory {directory} (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = NativeMethods.close(fd);
        }
    }

    private static class NativeMethods
    {
        public const int ReadOnly = 0;

        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        public static extern int open(string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);
    }
}
