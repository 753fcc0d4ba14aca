using System.Buffers.Binary;
using Liaa.Node.Kademlia;
using Microsoft.Win32.SafeHandles;

namespace Liaa.Node.Storage;

/// <summary>How reading a record at some offset went.</summary>
internal enum RecordRead
{
    /// <summary>A whole record: its length in range, its checksum matching, its payload parsed.</summary>
    Intact,

    /// <summary>The record's prefix or payload runs past the end of the file (a torn last write).</summary>
    RunsPastEnd,

    /// <summary>A length out of range, a checksum that fails or a payload that does not parse.</summary>
    Bad,
}

/// <summary>
/// Reads records at any offset of the log through one window of the file, so a sequential replay costs one
/// read per window, and so does the byte-by-byte search for the next intact record after a bad one.
/// </summary>
internal sealed class ValueLogRecordReader(SafeFileHandle file, long fileLength)
{
    private readonly byte[] _window = new byte[4 * (ValueLog.RecordPrefixSize + ValueLog.MaxPayloadSize)];
    private long _windowStart = -1;
    private int _windowLength;

    public RecordRead TryRead(long offset, out int length, out NodeId key, out StoredValue? value)
    {
        length = 0;
        key = default;
        value = null;
        if (offset + ValueLog.RecordPrefixSize > fileLength)
        {
            return RecordRead.RunsPastEnd;
        }

        var prefix = Bytes(offset, ValueLog.RecordPrefixSize);
        var declared = BinaryPrimitives.ReadUInt32LittleEndian(prefix);
        if (declared is < ValueLog.MinPayloadSize or > ValueLog.MaxPayloadSize)
        {
            return RecordRead.Bad;
        }

        if (offset + ValueLog.RecordPrefixSize + declared > fileLength)
        {
            return RecordRead.RunsPastEnd;
        }

        var record = Bytes(offset, ValueLog.RecordPrefixSize + (int)declared);
        var payload = record[ValueLog.RecordPrefixSize..];
        if (ValueLog.Checksum(record[..4], payload) != BinaryPrimitives.ReadUInt32LittleEndian(record[4..]) || !ValueLog.TryParse(payload, out key, out value))
        {
            return RecordRead.Bad;
        }

        length = (int)declared;
        return RecordRead.Intact;
    }

    private ReadOnlySpan<byte> Bytes(long offset, int count)
    {
        if (_windowStart < 0 || offset < _windowStart || offset + count > _windowStart + _windowLength)
        {
            _windowStart = offset;
            _windowLength = 0;
            var wanted = (int)Math.Min(_window.Length, fileLength - offset);
            while (_windowLength < wanted)
            {
                var read = RandomAccess.Read(file, _window.AsSpan(_windowLength, wanted - _windowLength), offset + _windowLength);
                if (read <= 0)
                {
                    throw new IOException("The value log ended while being read.");
                }

                _windowLength += read;
            }
        }

        return _window.AsSpan((int)(offset - _windowStart), count);
    }
}
