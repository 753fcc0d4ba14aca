using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;
using static Liaa.Node.Wire.MessagePackWriter;

namespace Liaa.Benchmarks.Baseline;

/// <summary>
/// The wire benchmark's baseline: Liaa's hand-written MessagePack writer as it was before the node
/// moved to MessagePack-CSharp's (kept here, unchanged but for its name, so the comparison can be
/// re-run; its single-token <c>Encode*</c> helpers, which the node's writer kept byte for byte, are the
/// node's own, called from here rather than copied). Writes MessagePack into an <see cref="IBufferWriter{T}"/>, always in the smallest form and with
/// the same choices as Python's <c>msgpack.packb(v, use_bin_type=True)</c>: non-negative integers use
/// positive fixint/uint8–64, negative ones negative fixint/int8–64; a <see cref="double"/> is float64
/// (<c>cb</c>), float32 only when asked; strings are UTF-8 str, bytes are bin. So the bytes a Python
/// peer would send for a value are the bytes this writer sends.
/// </summary>
/// <remarks>
/// Allocation-free: each token asks the output for one span and advances it.
/// Arguments a well-behaved caller never passes (negative counts, strings with lone surrogates)
/// throw: they are bugs, not input.
/// </remarks>
internal readonly ref struct HandWrittenMessagePackWriter
{
    /// <summary>The longest integer or float token, in bytes.</summary>
    public const int MaxScalarSize = 9;

    // Lone surrogates have no UTF-8 form; Python refuses to pack them too. Throw rather than send U+FFFD.
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly IBufferWriter<byte> _output;

    public HandWrittenMessagePackWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    public void WriteNil() => WriteByte(MessagePackCode.Nil);

    public void WriteBoolean(bool value) => WriteByte(value ? MessagePackCode.True : MessagePackCode.False);

    public void WriteInt64(long value) => _output.Advance(EncodeInt64(_output.GetSpan(MaxScalarSize), value));

    public void WriteUInt64(ulong value) => _output.Advance(EncodeUInt64(_output.GetSpan(MaxScalarSize), value));

    /// <summary>float64 (<c>cb</c>), bits as given: NaN payloads and -0.0 are kept.</summary>
    public void WriteDouble(double value) => _output.Advance(EncodeDouble(_output.GetSpan(MaxScalarSize), value));

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
        var span = _output.GetSpan(StringHeaderSize(byteCount) + byteCount);
        var header = EncodeStringHeader(span, byteCount);
        StrictUtf8.GetBytes(value, span[header..]);
        _output.Advance(header + byteCount);
    }

    /// <summary>A str whose payload is <paramref name="utf8"/>, which the caller vouches is UTF-8.</summary>
    public void WriteStringUtf8(ReadOnlySpan<byte> utf8)
    {
        var span = _output.GetSpan(StringHeaderSize(utf8.Length) + utf8.Length);
        var header = EncodeStringHeader(span, utf8.Length);
        utf8.CopyTo(span[header..]);
        _output.Advance(header + utf8.Length);
    }

    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        var span = _output.GetSpan(BinaryHeaderSize(value.Length) + value.Length);
        var header = EncodeBinaryHeader(span, value.Length);
        value.CopyTo(span[header..]);
        _output.Advance(header + value.Length);
    }

    public void WriteArrayHeader(int count) => WriteContainerHeader(count, MessagePackCode.MinFixArray, MessagePackCode.Array16);

    /// <summary>A map header; <paramref name="count"/> is the number of key/value pairs that follow.</summary>
    public void WriteMapHeader(int count) => WriteContainerHeader(count, MessagePackCode.MinFixMap, MessagePackCode.Map16);

    /// <summary>Copies bytes that already are MessagePack (a <see cref="DhtValue"/>'s encoding).</summary>
    public void WriteRaw(ReadOnlySpan<byte> messagePack)
    {
        messagePack.CopyTo(_output.GetSpan(messagePack.Length));
        _output.Advance(messagePack.Length);
    }

    private void WriteContainerHeader(int count, byte fixMin, byte code16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var span = _output.GetSpan(5);
        if (count <= 15)
        {
            span[0] = (byte)(fixMin | count);
            _output.Advance(1);
        }
        else if (count <= ushort.MaxValue)
        {
            span[0] = code16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)count);
            _output.Advance(3);
        }
        else
        {
            span[0] = (byte)(code16 + 1);
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)count);
            _output.Advance(5);
        }
    }

    private void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }
}
