using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Liaa.Node.Wire;

/// <summary>
/// Writes MessagePack into an <see cref="IBufferWriter{T}"/>, always in the smallest form and with
/// the same choices as Python's <c>msgpack.packb(v, use_bin_type=True)</c>: non-negative integers use
/// positive fixint/uint8–64, negative ones negative fixint/int8–64; a <see cref="double"/> is float64
/// (<c>cb</c>), float32 only when asked; strings are UTF-8 str, bytes are bin. So the bytes a Python
/// peer would send for a value are the bytes this writer sends.
/// </summary>
/// <remarks>
/// Allocation-free: each token asks the output for a span and advances it. Arguments a well-behaved
/// caller never passes (negative counts, strings with lone surrogates) throw: they are bugs, not input.
/// </remarks>
internal readonly ref struct MessagePackWriter
{
    // Lone surrogates have no UTF-8 form; Python refuses to pack them too. Throw rather than send U+FFFD.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly IBufferWriter<byte> _output;

    public MessagePackWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    public void WriteNil() => WriteByte(MessagePackCode.Nil);

    public void WriteBoolean(bool value) => WriteByte(value ? MessagePackCode.True : MessagePackCode.False);

    public void WriteInt64(long value)
    {
        if (value >= 0)
        {
            WriteUInt64((ulong)value);
            return;
        }

        if (value >= -32)
        {
            WriteByte((byte)(sbyte)value);
        }
        else if (value >= sbyte.MinValue)
        {
            var span = _output.GetSpan(2);
            span[0] = MessagePackCode.Int8;
            span[1] = (byte)(sbyte)value;
            _output.Advance(2);
        }
        else if (value >= short.MinValue)
        {
            var span = _output.GetSpan(3);
            span[0] = MessagePackCode.Int16;
            BinaryPrimitives.WriteInt16BigEndian(span[1..], (short)value);
            _output.Advance(3);
        }
        else if (value >= int.MinValue)
        {
            var span = _output.GetSpan(5);
            span[0] = MessagePackCode.Int32;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], (int)value);
            _output.Advance(5);
        }
        else
        {
            var span = _output.GetSpan(9);
            span[0] = MessagePackCode.Int64;
            BinaryPrimitives.WriteInt64BigEndian(span[1..], value);
            _output.Advance(9);
        }
    }

    public void WriteUInt64(ulong value)
    {
        if (value <= MessagePackCode.MaxPositiveFixInt)
        {
            WriteByte((byte)value);
        }
        else if (value <= byte.MaxValue)
        {
            var span = _output.GetSpan(2);
            span[0] = MessagePackCode.UInt8;
            span[1] = (byte)value;
            _output.Advance(2);
        }
        else if (value <= ushort.MaxValue)
        {
            var span = _output.GetSpan(3);
            span[0] = MessagePackCode.UInt16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value);
            _output.Advance(3);
        }
        else if (value <= uint.MaxValue)
        {
            var span = _output.GetSpan(5);
            span[0] = MessagePackCode.UInt32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value);
            _output.Advance(5);
        }
        else
        {
            var span = _output.GetSpan(9);
            span[0] = MessagePackCode.UInt64;
            BinaryPrimitives.WriteUInt64BigEndian(span[1..], value);
            _output.Advance(9);
        }
    }

    /// <summary>float64 (<c>cb</c>), bits as given: NaN payloads and -0.0 are kept.</summary>
    public void WriteDouble(double value)
    {
        var span = _output.GetSpan(9);
        span[0] = MessagePackCode.Float64;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
        _output.Advance(9);
    }

    /// <summary>float32 (<c>ca</c>): only when a caller explicitly wants the short form.</summary>
    public void WriteSingle(float value)
    {
        var span = _output.GetSpan(5);
        span[0] = MessagePackCode.Float32;
        BinaryPrimitives.WriteSingleBigEndian(span[1..], value);
        _output.Advance(5);
    }

    /// <summary>A str of the UTF-8 form of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">The text holds a lone surrogate (it has no UTF-8 form).</exception>
    public void WriteString(ReadOnlySpan<char> value)
    {
        var byteCount = StrictUtf8.GetByteCount(value);
        var header = StringHeaderSize(byteCount);
        var span = _output.GetSpan(header + byteCount);
        WriteStringHeader(span, byteCount);
        StrictUtf8.GetBytes(value, span[header..]);
        _output.Advance(header + byteCount);
    }

    /// <summary>A str whose payload is <paramref name="utf8"/>, which the caller vouches is UTF-8.</summary>
    public void WriteStringUtf8(ReadOnlySpan<byte> utf8)
    {
        var header = StringHeaderSize(utf8.Length);
        var span = _output.GetSpan(header + utf8.Length);
        WriteStringHeader(span, utf8.Length);
        utf8.CopyTo(span[header..]);
        _output.Advance(header + utf8.Length);
    }

    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        var header = value.Length <= byte.MaxValue ? 2 : value.Length <= ushort.MaxValue ? 3 : 5;
        var span = _output.GetSpan(header + value.Length);
        switch (header)
        {
            case 2:
                span[0] = MessagePackCode.Bin8;
                span[1] = (byte)value.Length;
                break;
            case 3:
                span[0] = MessagePackCode.Bin16;
                BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value.Length);
                break;
            default:
                span[0] = MessagePackCode.Bin32;
                BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value.Length);
                break;
        }

        value.CopyTo(span[header..]);
        _output.Advance(header + value.Length);
    }

    public void WriteArrayHeader(int count) => WriteContainerHeader(count, MessagePackCode.MinFixArray, MessagePackCode.Array16);

    /// <summary>A map header; <paramref name="count"/> is the number of key/value pairs that follow.</summary>
    public void WriteMapHeader(int count) => WriteContainerHeader(count, MessagePackCode.MinFixMap, MessagePackCode.Map16);

    /// <summary>Copies bytes that already are MessagePack (a <see cref="DhtValue"/>'s encoding).</summary>
    public void WriteRaw(ReadOnlySpan<byte> messagePack)
    {
        var span = _output.GetSpan(messagePack.Length);
        messagePack.CopyTo(span);
        _output.Advance(messagePack.Length);
    }

    private static int StringHeaderSize(int byteCount) =>
        byteCount <= 31 ? 1 : byteCount <= byte.MaxValue ? 2 : byteCount <= ushort.MaxValue ? 3 : 5;

    private static void WriteStringHeader(Span<byte> span, int byteCount)
    {
        if (byteCount <= 31)
        {
            span[0] = (byte)(MessagePackCode.MinFixStr | byteCount);
        }
        else if (byteCount <= byte.MaxValue)
        {
            span[0] = MessagePackCode.Str8;
            span[1] = (byte)byteCount;
        }
        else if (byteCount <= ushort.MaxValue)
        {
            span[0] = MessagePackCode.Str16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)byteCount);
        }
        else
        {
            span[0] = MessagePackCode.Str32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)byteCount);
        }
    }

    private void WriteContainerHeader(int count, byte fixMin, byte code16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15)
        {
            WriteByte((byte)(fixMin | count));
        }
        else if (count <= ushort.MaxValue)
        {
            var span = _output.GetSpan(3);
            span[0] = code16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)count);
            _output.Advance(3);
        }
        else
        {
            var span = _output.GetSpan(5);
            span[0] = (byte)(code16 + 1);
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)count);
            _output.Advance(5);
        }
    }

    private void WriteByte(byte value)
    {
        var span = _output.GetSpan(1);
        span[0] = value;
        _output.Advance(1);
    }
}
