using Liaa.Node.Kademlia;
using Microsoft.Win32.SafeHandles;

namespace Liaa.Node.Storage;

/// <summary>Opening the log: replaying it, cutting a torn tail, and skipping (and keeping a copy of) corrupt bytes.</summary>
internal sealed partial class ValueLog
{
    private static ValueLogRecovery Recover(string path, SafeFileHandle handle)
    {
        var fileLength = RandomAccess.GetLength(handle);
        Span<byte> header = stackalloc byte[HeaderSize];
        var headerRead = RandomAccess.Read(handle, header, 0);
        if (fileLength < HeaderSize)
        {
            // New, or created by a crash before its header reached the disk.
            if (!Magic.StartsWith(header[..headerRead]))
            {
                throw new InvalidDataException($"{path} is not a Liaa value log (it does not start with {System.Text.Encoding.ASCII.GetString(Magic)}).");
            }

            RandomAccess.SetLength(handle, 0);
            RandomAccess.Write(handle, Magic, 0);
            RandomAccess.FlushToDisk(handle);
            DurableFiles.FlushDirectory(Path.GetDirectoryName(path)!);
            return new ValueLogRecovery([], 0, fileLength, HeaderSize);
        }

        if (!header.SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{path} is not a Liaa value log (it does not start with {System.Text.Encoding.ASCII.GetString(Magic)}).");
        }

        var state = new Dictionary<NodeId, StoredValue?>();
        var corrupt = new List<(long Start, long End)>();
        var records = 0;
        long position = HeaderSize;
        var reader = new ValueLogRecordReader(handle, fileLength);
        while (position < fileLength)
        {
            var read = reader.TryRead(position, out var length, out var key, out var value);
            if (read == RecordRead.Intact)
            {
                state[key] = value;
                records++;
                position += RecordPrefixSize + length;
                continue;
            }

            // Resynchronise: the next offset where a whole record reads intact. Should the bad region itself hold
            // bytes that read as a record (a value can hold anything), it is taken: no better guess exists.
            var next = position + 1;
            while (next < fileLength && reader.TryRead(next, out _, out _, out _) != RecordRead.Intact)
            {
                next++;
            }

            if (next >= fileLength && read == RecordRead.RunsPastEnd)
            {
                // The torn tail of a crash: a last record cut short. Expected; cut off below.
                break;
            }

            corrupt.Add((position, next));
            position = next;
        }

        var truncated = fileLength - position;
        if (truncated > 0 && corrupt.Count == 0)
        {
            RandomAccess.SetLength(handle, position);
            RandomAccess.FlushToDisk(handle);
        }

        return new ValueLogRecovery([.. state.Values.OfType<StoredValue>()], records, truncated, position)
        {
            CorruptBytes = corrupt.Sum(r => r.End - r.Start),
            CorruptRanges = corrupt,
        };
    }

    /// <summary>Copies the unreadable ranges, in order, to a new file beside the log and returns its path.</summary>
    private static string CopyCorrupt(string path, SafeFileHandle log, IReadOnlyList<(long Start, long End)> ranges, DateTimeOffset now)
    {
        var stamp = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var copy = $"{path}.corrupt-{stamp}";
        for (var attempt = 2; File.Exists(copy); attempt++)
        {
            copy = $"{path}.corrupt-{stamp}-{attempt}";
        }

        using (var target = File.OpenHandle(copy, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            long written = 0;
            foreach (var (start, end) in ranges)
            {
                written += CopyRange(log, start, end, target, written);
            }

            RandomAccess.FlushToDisk(target);
        }

        DurableFiles.FlushDirectory(Path.GetDirectoryName(path)!);
        return copy;
    }

    /// <summary>Replaces the log with one holding <paramref name="values"/> (as a compaction does) and returns its open handle.</summary>
    private static SafeFileHandle Rewrite(string path, SafeFileHandle old, IReadOnlyList<StoredValue> values, out long length)
    {
        var temporary = path + CompactingSuffix;
        var next = File.OpenHandle(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            length = WriteSnapshot(next, values);
            RandomAccess.FlushToDisk(next);
            File.Move(temporary, path, overwrite: true);
            DurableFiles.FlushDirectory(Path.GetDirectoryName(path)!);
        }
        catch
        {
            next.Dispose();
            File.Delete(temporary);
            throw;
        }

        old.Dispose();
        return next;
    }
}
