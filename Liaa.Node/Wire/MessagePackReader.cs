using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;

namespace Liaa.Node.Wire;

/// <summary>
/// A forward-only MessagePack reader over one datagram's bytes. Every <c>Try*</c> method either
/// reads one whole token and advances, or returns false and leaves the position where it was, so a
/// caller can try another family. Nothing here throws on bad input, whatever the bytes say.
/// </summary>
/// <remarks>
/// Hostile lengths cost nothing: a str/bin/ext length is checked against the bytes that remain, and
/// an array or map count against the least those elements could occupy (one byte per element), before
/// anything is returned. So a "4 GB" header fails at once, and a count the caller receives never
/// exceeds the datagram's size, which bounds any allocation sized from it. Strings and binaries are
/// returned as slices of the input; only <see cref="TryReadString"/> allocates (the string itself).
/// <para>Liaa's own rather than MessagePack-CSharp's, by measurement (README.md beside this file): on
/// hostile datagrams the library's reader throws (272 of 732 mutated captures), takes 13–24 times as
/// long per datagram and allocates, and accepts malformed UTF-8; guarded by this reader's structural
/// scan it keeps the contract but was no faster, and it reads only memory, not the receive loop's span.</para>
/// </remarks>
internal ref partial struct MessagePackReader
{
    /// <summary>Nesting depth <see cref="TrySkip(int)"/> allows by default: Liaa's own messages need 2.</summary>
    public const int DefaultMaxDepth = 16;

    /// <summary>The largest depth limit accepted, which bounds the skipper's recursion.</summary>
    public const int MaxDepthLimit = 1000;

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public MessagePackReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly bool End => _position >= _buffer.Length;

    public readonly ReadOnlySpan<byte> UnreadSpan => _buffer[_position..];

    /// <summary>The family of the next value, from its first byte (false at the end).</summary>
    public readonly bool TryPeekType(out MessagePackType type)
    {
        if (End)
        {
            type = MessagePackType.Invalid;
            return false;
        }

        type = MessagePackCode.TypeOf(_buffer[_position]);
        return true;
    }

    public bool TryReadNil()
    {
        if (End || _buffer[_position] != MessagePackCode.Nil)
        {
            return false;
        }

        _position++;
        return true;
    }

    public bool TryReadBoolean(out bool value)
    {
        value = false;
        if (End)
        {
            return false;
        }

        switch (_buffer[_position])
        {
            case MessagePackCode.True:
                value = true;
                break;
            case MessagePackCode.False:
                break;
            default:
                return false;
        }

        _position++;
        return true;
    }

    /// <summary>Reads an integer of any encoding whose value fits an <see cref="long"/>.</summary>
    public bool TryReadInt64(out long value)
    {
        if (TryPeekInteger(out var integer, out var size) && integer >= long.MinValue && integer <= long.MaxValue)
        {
            value = (long)integer;
            _position += size;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Reads an integer of any encoding whose value is non-negative (fits an <see cref="ulong"/>).</summary>
    public bool TryReadUInt64(out ulong value)
    {
        if (TryPeekInteger(out var integer, out var size) && integer >= 0)
        {
            value = (ulong)integer;
            _position += size;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Reads any integer as an <see cref="Int128"/>, which holds both the int64 and the uint64 range.</summary>
    public bool TryReadInteger(out Int128 value)
    {
        if (TryPeekInteger(out value, out var size))
        {
            _position += size;
            return true;
        }

        return false;
    }

    /// <summary>Reads a float32 or float64 (a float32 is widened exactly).</summary>
    public bool TryReadDouble(out double value)
    {
        value = 0;
        if (End)
        {
            return false;
        }

        var rest = _buffer[(_position + 1)..];
        switch (_buffer[_position])
        {
            case MessagePackCode.Float64 when rest.Length >= 8:
                value = BinaryPrimitives.ReadDoubleBigEndian(rest);
                _position += 9;
                return true;
            case MessagePackCode.Float32 when rest.Length >= 4:
                value = BinaryPrimitives.ReadSingleBigEndian(rest);
                _position += 5;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Reads a float32 only (narrowing a float64 would lose what its sender meant).</summary>
    public bool TryReadSingle(out float value)
    {
        if (Remaining >= 5 && _buffer[_position] == MessagePackCode.Float32)
        {
            value = BinaryPrimitives.ReadSingleBigEndian(_buffer[(_position + 1)..]);
            _position += 5;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Reads a str of any width as its raw bytes (not checked to be UTF-8).</summary>
    public bool TryReadStringSpan(out ReadOnlySpan<byte> utf8)
    {
        if (!End && TryPeekPayload(
            _buffer[_position],
            MessagePackCode.MinFixStr,
            MessagePackCode.MaxFixStr,
            MessagePackCode.Str8,
            out var header,
            out var length))
        {
            utf8 = _buffer.Slice(_position + header, length);
            _position += header + length;
            return true;
        }

        utf8 = default;
        return false;
    }

    /// <summary>Reads a str whose bytes are well-formed UTF-8 (as Python's unpacker demands).</summary>
    public bool TryReadString([NotNullWhen(true)] out string? value)
    {
        var start = _position;
        if (TryReadStringSpan(out var utf8) && Utf8.IsValid(utf8))
        {
            value = Encoding.UTF8.GetString(utf8);
            return true;
        }

        _position = start;
        value = null;
        return false;
    }

    /// <summary>Reads a bin of any width as a slice of the input.</summary>
    public bool TryReadBinary(out ReadOnlySpan<byte> bytes)
    {
        if (!End && TryPeekPayload(_buffer[_position], 0, -1, MessagePackCode.Bin8, out var header, out var length))
        {
            bytes = _buffer.Slice(_position + header, length);
            _position += header + length;
            return true;
        }

        bytes = default;
        return false;
    }

    private readonly bool TryPeekInteger(out Int128 value, out int size)
    {
        value = 0;
        size = 0;
        if (End)
        {
            return false;
        }

        var code = _buffer[_position];
        if (code <= MessagePackCode.MaxPositiveFixInt || code >= MessagePackCode.MinNegativeFixInt)
        {
            value = (sbyte)code;
            size = 1;
            return true;
        }

        size = code switch
        {
            MessagePackCode.UInt8 or MessagePackCode.Int8 => 2,
            MessagePackCode.UInt16 or MessagePackCode.Int16 => 3,
            MessagePackCode.UInt32 or MessagePackCode.Int32 => 5,
            MessagePackCode.UInt64 or MessagePackCode.Int64 => 9,
            _ => 0,
        };
        if (size == 0 || Remaining < size)
        {
            size = 0;
            return false;
        }

        var rest = _buffer[(_position + 1)..];
        value = code switch
        {
            MessagePackCode.UInt8 => rest[0],
            MessagePackCode.UInt16 => BinaryPrimitives.ReadUInt16BigEndian(rest),
            MessagePackCode.UInt32 => BinaryPrimitives.ReadUInt32BigEndian(rest),
            MessagePackCode.UInt64 => BinaryPrimitives.ReadUInt64BigEndian(rest),
            MessagePackCode.Int8 => (sbyte)rest[0],
            MessagePackCode.Int16 => BinaryPrimitives.ReadInt16BigEndian(rest),
            MessagePackCode.Int32 => BinaryPrimitives.ReadInt32BigEndian(rest),
            _ => BinaryPrimitives.ReadInt64BigEndian(rest),
        };
        return true;
    }

    /// <summary>
    /// The header size and payload length of a str or bin whose 8-bit form is <paramref name="code8"/>
    /// (the 16- and 32-bit forms follow it), or of a fix form in <paramref name="fixMin"/>..<paramref name="fixMax"/>;
    /// false unless the whole payload is present.
    /// </summary>
    private readonly bool TryPeekPayload(byte code, int fixMin, int fixMax, byte code8, out int header, out int length)
    {
        var rest = _buffer[(_position + 1)..];
        ulong declared;
        if (code >= fixMin && code <= fixMax)
        {
            header = 1;
            declared = (ulong)(code - fixMin);
        }
        else if (code == code8 && rest.Length >= 1)
        {
            header = 2;
            declared = rest[0];
        }
        else if (code == code8 + 1 && rest.Length >= 2)
        {
            header = 3;
            declared = BinaryPrimitives.ReadUInt16BigEndian(rest);
        }
        else if (code == code8 + 2 && rest.Length >= 4)
        {
            header = 5;
            declared = BinaryPrimitives.ReadUInt32BigEndian(rest);
        }
        else
        {
            header = 0;
            length = 0;
            return false;
        }

        if (declared > (ulong)(Remaining - header))
        {
            header = 0;
            length = 0;
            return false;
        }

        length = (int)declared;
        return true;
    }
}
