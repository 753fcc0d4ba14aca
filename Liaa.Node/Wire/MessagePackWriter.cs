using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Liaa.Node.Kademlia;
using LibraryWriter = MessagePack.MessagePackWriter;

namespace Liaa.Node.Wire;

/// <summary>
/// Writes MessagePack into an <see cref="IBufferWriter{T}"/>, always in the smallest form and with
/// the same choices as Python's <c>msgpack.packb(v, use_bin_type=True)</c>: non-negative integers use
/// positive fixint/uint8–64, negative ones negative fixint/int8–64; a <see cref="double"/> is float64
/// (<c>cb</c>), float32 only when asked; strings are UTF-8 str, bytes are bin. So the bytes a Python
/// peer would send for a value are the bytes this writer sends.
/// </summary>
/// <remarks>
/// <para>The tokens are written by MessagePack-CSharp's <see cref="LibraryWriter"/>, which makes
/// Python's bytes for all of Liaa's vectors but one kind: it encodes a lone surrogate as U+FFFD
/// where Python refuses to pack it. This adapter keeps the refusal by checking first, and refuses
/// negative counts, which the library would write as a 4-billion-element header. Arguments like
/// these are bugs in the caller, not input: they throw, before anything is written. Its figures against
/// the hand-written writer it replaced, and the reason it was chosen: README.md beside this file.</para>
/// <para>The library writer buffers: call <see cref="Flush"/> once the last token is written, or
/// nothing reaches the output. Pass the writer by <c>ref</c>; a copy has its own buffer.</para>
/// <para>The static <c>Encode*</c> methods write a single token into a caller's span. The library
/// writes only through an <see cref="IBufferWriter{T}"/>, and <see cref="DhtValue"/> builds each
/// canonical encoding in one exact-size array; MessagePackWriterTests holds them to the library's
/// bytes.</para>
/// </remarks>
internal ref struct MessagePackWriter
{
    /// <summary>The longest integer or float token, in bytes.</summary>
    public const int MaxScalarSize = 9;

    // Lone surrogates have no UTF-8 form; Python refuses to pack them too. Throw rather than send U+FFFD.
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private LibraryWriter _writer;

    public MessagePackWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _writer = new LibraryWriter(output);
    }

    public void WriteNil() => _writer.WriteNil();

    public void WriteBoolean(bool value) => _writer.Write(value);

    public void WriteInt64(long value) => _writer.Write(value);

    public void WriteUInt64(ulong value) => _writer.Write(value);

    /// <summary>float64 (<c>cb</c>), bits as given: NaN payloads and -0.0 are kept.</summary>
    public void WriteDouble(double value) => _writer.Write(value);

    /// <summary>float32 (<c>ca</c>): only when a caller explicitly wants the short form.</summary>
    public void WriteSingle(float value) => _writer.Write(value);

    /// <summary>A str of the UTF-8 form of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">The text holds a lone surrogate (it has no UTF-8 form).</exception>
    public void WriteString(scoped ReadOnlySpan<char> value)
    {
        ThrowIfLoneSurrogate(value);
        if (value.IsEmpty)
        {
            // The library's span overload pins an empty span as a null pointer and throws.
            _writer.WriteString(ReadOnlySpan<byte>.Empty);
            return;
        }

        _writer.Write(Unscoped(value));
    }

    /// <summary>A str whose payload is <paramref name="utf8"/>, which the caller vouches is UTF-8.</summary>
    public void WriteStringUtf8(scoped ReadOnlySpan<byte> utf8) => _writer.WriteString(Unscoped(utf8));

    public void WriteBinary(scoped ReadOnlySpan<byte> value) => _writer.Write(Unscoped(value));

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public void WriteArrayHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _writer.WriteArrayHeader(count);
    }

    /// <summary>A map header; <paramref name="count"/> is the number of key/value pairs that follow.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public void WriteMapHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _writer.WriteMapHeader(count);
    }

    /// <summary>Copies bytes that already are MessagePack (a <see cref="DhtValue"/>'s encoding).</summary>
    public void WriteRaw(scoped ReadOnlySpan<byte> messagePack) => _writer.WriteRaw(Unscoped(messagePack));

    /// <summary>Commits what was written to the output.</summary>
    public void Flush() => _writer.Flush();

    // The library's writer is a ref struct compiled without C# 11's scoped annotations, so the
    // compiler must assume it could keep any span it is handed, and refuses a caller's stackalloc.
    // It copies the span and keeps nothing; this tells the compiler so.
    private static ReadOnlySpan<T> Unscoped<T>(scoped ReadOnlySpan<T> span) =>
        MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetReference(span), span.Length);

    /// <summary>
    /// The library encodes a surrogate without its partner as U+FFFD; Python refuses to pack it, and
    /// so does Liaa. Text without surrogates (nearly all) costs one vectorized scan.
    /// </summary>
    private static void ThrowIfLoneSurrogate(ReadOnlySpan<char> value)
    {
        var i = value.IndexOfAnyInRange('\ud800', '\udfff');
        if (i < 0)
        {
            return;
        }

        for (; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                throw new ArgumentException($"The text holds a lone surrogate at {i}; it has no UTF-8 form.", nameof(value));
            }
        }
    }

    public static int EncodeInt64(Span<byte> destination, long value)
    {
        if (value >= 0)
        {
            return EncodeUInt64(destination, (ulong)value);
        }

        if (value >= -32)
        {
            destination[0] = (byte)(sbyte)value;
            return 1;
        }

        if (value >= sbyte.MinValue)
        {
            destination[0] = MessagePackCode.Int8;
            destination[1] = (byte)(sbyte)value;
            return 2;
        }

        if (value >= short.MinValue)
        {
            destination[0] = MessagePackCode.Int16;
            BinaryPrimitives.WriteInt16BigEndian(destination[1..], (short)value);
            return 3;
        }

        if (value >= int.MinValue)
        {
            destination[0] = MessagePackCode.Int32;
            BinaryPrimitives.WriteInt32BigEndian(destination[1..], (int)value);
            return 5;
        }

        destination[0] = MessagePackCode.Int64;
        BinaryPrimitives.WriteInt64BigEndian(destination[1..], value);
        return 9;
    }

    public static int EncodeUInt64(Span<byte> destination, ulong value)
    {
        if (value <= MessagePackCode.MaxPositiveFixInt)
        {
            destination[0] = (byte)value;
            return 1;
        }

        if (value <= byte.MaxValue)
        {
            destination[0] = MessagePackCode.UInt8;
            destination[1] = (byte)value;
            return 2;
        }

        if (value <= ushort.MaxValue)
        {
            destination[0] = MessagePackCode.UInt16;
            BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)value);
            return 3;
        }

        if (value <= uint.MaxValue)
        {
            destination[0] = MessagePackCode.UInt32;
            BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)value);
            return 5;
        }

        destination[0] = MessagePackCode.UInt64;
        BinaryPrimitives.WriteUInt64BigEndian(destination[1..], value);
        return 9;
    }

    public static int EncodeDouble(Span<byte> destination, double value)
    {
        destination[0] = MessagePackCode.Float64;
        BinaryPrimitives.WriteDoubleBigEndian(destination[1..], value);
        return 9;
    }

    public static int StringHeaderSize(int byteCount) =>
        byteCount <= 31 ? 1 : byteCount <= byte.MaxValue ? 2 : byteCount <= ushort.MaxValue ? 3 : 5;

    public static int BinaryHeaderSize(int length) =>
        length <= byte.MaxValue ? 2 : length <= ushort.MaxValue ? 3 : 5;

    public static int EncodeStringHeader(Span<byte> destination, int byteCount)
    {
        if (byteCount <= 31)
        {
            destination[0] = (byte)(MessagePackCode.MinFixStr | byteCount);
            return 1;
        }

        return EncodeLength(destination, MessagePackCode.Str8, byteCount);
    }

    public static int EncodeBinaryHeader(Span<byte> destination, int length) =>
        EncodeLength(destination, MessagePackCode.Bin8, length);

    // The 8-, 16- and 32-bit length forms of str and bin follow each other: code8, code8 + 1, code8 + 2.
    private static int EncodeLength(Span<byte> destination, byte code8, int length)
    {
        if (length <= byte.MaxValue)
        {
            destination[0] = code8;
            destination[1] = (byte)length;
            return 2;
        }

        if (length <= ushort.MaxValue)
        {
            destination[0] = (byte)(code8 + 1);
            BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)length);
            return 3;
        }

        destination[0] = (byte)(code8 + 2);
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)length);
        return 5;
    }
}
