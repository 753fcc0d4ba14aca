using System.Buffers.Binary;

namespace Liaa.Node.Wire;

/// <summary>The structural half of the reader: array, map and extension headers, and skipping whole values.</summary>
internal ref partial struct MessagePackReader
{
    /// <summary>Reads an array header; the count is at most the bytes that remain after it.</summary>
    public bool TryReadArrayHeader(out int count) =>
        TryReadContainerHeader(MessagePackCode.MinFixArray, MessagePackCode.Array16, bytesPerElement: 1, out count);

    /// <summary>Reads a map header (count = pairs); two bytes per pair at least must remain after it.</summary>
    public bool TryReadMapHeader(out int count) =>
        TryReadContainerHeader(MessagePackCode.MinFixMap, MessagePackCode.Map16, bytesPerElement: 2, out count);

    /// <summary>Reads an extension (fixext or ext8/16/32): its type and its payload as a slice.</summary>
    public bool TryReadExtension(out sbyte type, out ReadOnlySpan<byte> data)
    {
        type = 0;
        data = default;
        if (!TryPeekExtension(out var header, out var length))
        {
            return false;
        }

        type = (sbyte)_buffer[_position + header - 1];
        data = _buffer.Slice(_position + header, length);
        _position += header + length;
        return true;
    }

    /// <summary>Skips one value of any family, containers included, at most <paramref name="maxDepth"/> deep.</summary>
    public bool TrySkip(int maxDepth = DefaultMaxDepth) => TrySkip(maxDepth, out _);

    /// <summary>
    /// Skips one value of any family. Fails, without moving, on truncated or invalid bytes or when
    /// containers nest deeper than <paramref name="maxDepth"/> (then <paramref name="tooDeep"/> is set):
    /// a scalar has depth 0, <c>[]</c> depth 1, <c>[[x]]</c> depth 2.
    /// </summary>
    public bool TrySkip(int maxDepth, out bool tooDeep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDepth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDepth, MaxDepthLimit);
        tooDeep = false;
        var start = _position;
        if (SkipValue(maxDepth, ref tooDeep))
        {
            return true;
        }

        _position = start;
        return false;
    }

    // Recursion is bounded by maxDepth (at most MaxDepthLimit frames); the work by the bytes, since
    // each element consumes at least one.
    private bool SkipValue(int depthLeft, ref bool tooDeep)
    {
        if (End)
        {
            return false;
        }

        var code = _buffer[_position];
        int count;
        switch (MessagePackCode.TypeOf(code))
        {
            case MessagePackType.Array:
                if (depthLeft == 0)
                {
                    tooDeep = true;
                    return false;
                }

                if (!TryReadArrayHeader(out count))
                {
                    return false;
                }

                break;
            case MessagePackType.Map:
                if (depthLeft == 0)
                {
                    tooDeep = true;
                    return false;
                }

                if (!TryReadMapHeader(out count))
                {
                    return false;
                }

                count *= 2; // cannot overflow: count <= Remaining / 2
                break;
            case MessagePackType.Invalid:
                return false;
            default:
                return SkipScalar(code);
        }

        for (var i = 0; i < count; i++)
        {
            if (!SkipValue(depthLeft - 1, ref tooDeep))
            {
                return false;
            }
        }

        return true;
    }

    private bool SkipScalar(byte code)
    {
        int size;
        switch (code)
        {
            case <= MessagePackCode.MaxPositiveFixInt or >= MessagePackCode.MinNegativeFixInt:
            case MessagePackCode.Nil or MessagePackCode.False or MessagePackCode.True:
                size = 1;
                break;
            case MessagePackCode.UInt8 or MessagePackCode.Int8:
                size = 2;
                break;
            case MessagePackCode.UInt16 or MessagePackCode.Int16:
                size = 3;
                break;
            case MessagePackCode.UInt32 or MessagePackCode.Int32 or MessagePackCode.Float32:
                size = 5;
                break;
            case MessagePackCode.UInt64 or MessagePackCode.Int64 or MessagePackCode.Float64:
                size = 9;
                break;
            case >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr:
            case MessagePackCode.Str8 or MessagePackCode.Str16 or MessagePackCode.Str32:
                return TryReadStringSpan(out _);
            case MessagePackCode.Bin8 or MessagePackCode.Bin16 or MessagePackCode.Bin32:
                return TryReadBinary(out _);
            default:
                return TryReadExtension(out _, out _);
        }

        if (Remaining < size)
        {
            return false;
        }

        _position += size;
        return true;
    }

    private readonly bool TryPeekExtension(out int header, out int length)
    {
        header = 0;
        length = 0;
        if (End)
        {
            return false;
        }

        var code = _buffer[_position];
        var rest = _buffer[(_position + 1)..];
        ulong declared;
        switch (code)
        {
            case >= MessagePackCode.FixExt1 and <= MessagePackCode.FixExt16:
                header = 2;
                declared = 1UL << (code - MessagePackCode.FixExt1);
                break;
            case MessagePackCode.Ext8 when rest.Length >= 1:
                header = 3;
                declared = rest[0];
                break;
            case MessagePackCode.Ext16 when rest.Length >= 2:
                header = 4;
                declared = BinaryPrimitives.ReadUInt16BigEndian(rest);
                break;
            case MessagePackCode.Ext32 when rest.Length >= 4:
                header = 6;
                declared = BinaryPrimitives.ReadUInt32BigEndian(rest);
                break;
            default:
                return false;
        }

        // The header includes the type byte, which must be there too.
        if (Remaining < header || declared > (ulong)(Remaining - header))
        {
            header = 0;
            return false;
        }

        length = (int)declared;
        return true;
    }

    private bool TryReadContainerHeader(byte fixMin, byte code16, int bytesPerElement, out int count)
    {
        count = 0;
        if (End)
        {
            return false;
        }

        var code = _buffer[_position];
        var rest = _buffer[(_position + 1)..];
        int header;
        ulong declared;
        if (code >= fixMin && code <= fixMin + 15)
        {
            header = 1;
            declared = (ulong)(code - fixMin);
        }
        else if (code == code16 && rest.Length >= 2)
        {
            header = 3;
            declared = BinaryPrimitives.ReadUInt16BigEndian(rest);
        }
        else if (code == code16 + 1 && rest.Length >= 4)
        {
            header = 5;
            declared = BinaryPrimitives.ReadUInt32BigEndian(rest);
        }
        else
        {
            return false;
        }

        if (declared * (ulong)bytesPerElement > (ulong)(Remaining - header))
        {
            return false;
        }

        count = (int)declared;
        _position += header;
        return true;
    }
}
