using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Unicode;

namespace Liaa.Node.Wire;

/// <summary>The kinds of value Python peers accept (WIRE.md).</summary>
public enum DhtValueKind
{
    Integer,
    Float,
    Boolean,
    String,
    Bytes,
}

/// <summary>
/// A stored value: one of the kinds Python peers can live with (int in the whole int64 and uint64
/// range, float64, bool, UTF-8 str, bin), held as its canonical MessagePack encoding, which is what
/// <c>msgpack.packb(v, use_bin_type=True)</c> makes of it. Re-encoding is a copy, storage is one
/// array, and equality is byte equality (so 1 and 1.0 differ, as do 0.0 and -0.0).
/// </summary>
/// <remarks>
/// Arrays, maps and nil are refused: an array or map stored into a Python node breaks every later
/// Python <c>get</c> of that key, and nil cannot be told from "absent" (WIRE.md). Decoding
/// canonicalizes: an integer sent in a wider form than needed, or a float32, is held (and forwarded)
/// in the form Python would have used, as a Python node itself does after unpacking.
/// </remarks>
public sealed class DhtValue : IEquatable<DhtValue>
{
    private const int DisplayLimit = 64;

    // Immutable, so the two booleans are shared.
    private static readonly DhtValue True = new(DhtValueKind.Boolean, [MessagePackCode.True]);
    private static readonly DhtValue False = new(DhtValueKind.Boolean, [MessagePackCode.False]);

    private DhtValue(DhtValueKind kind, byte[] encoded)
    {
        Kind = kind;
        EncodedArray = encoded;
    }

    public DhtValueKind Kind { get; }

    internal byte[] EncodedArray { get; }

    /// <summary>The canonical MessagePack encoding of the value.</summary>
    public ReadOnlyMemory<byte> Encoded => EncodedArray;

    /// <exception cref="ArgumentException">The text holds a lone surrogate (it has no UTF-8 form).</exception>
    public static DhtValue FromString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var utf8 = MessagePackWriter.StrictUtf8;
        var byteCount = utf8.GetByteCount(value);
        var encoded = new byte[MessagePackWriter.StringHeaderSize(byteCount) + byteCount];
        var header = MessagePackWriter.EncodeStringHeader(encoded, byteCount);
        utf8.GetBytes(value, encoded.AsSpan(header));
        return new DhtValue(DhtValueKind.String, encoded);
    }

    public static DhtValue FromBytes(ReadOnlySpan<byte> value)
    {
        var encoded = new byte[MessagePackWriter.BinaryHeaderSize(value.Length) + value.Length];
        var header = MessagePackWriter.EncodeBinaryHeader(encoded, value.Length);
        value.CopyTo(encoded.AsSpan(header));
        return new DhtValue(DhtValueKind.Bytes, encoded);
    }

    public static DhtValue FromInt64(long value)
    {
        Span<byte> encoded = stackalloc byte[MessagePackWriter.MaxScalarSize];
        return new DhtValue(DhtValueKind.Integer, encoded[..MessagePackWriter.EncodeInt64(encoded, value)].ToArray());
    }

    public static DhtValue FromUInt64(ulong value)
    {
        Span<byte> encoded = stackalloc byte[MessagePackWriter.MaxScalarSize];
        return new DhtValue(DhtValueKind.Integer, encoded[..MessagePackWriter.EncodeUInt64(encoded, value)].ToArray());
    }

    /// <summary>A float64, bits as given (NaN payload and the sign of zero are kept).</summary>
    public static DhtValue FromDouble(double value)
    {
        Span<byte> encoded = stackalloc byte[MessagePackWriter.MaxScalarSize];
        return new DhtValue(DhtValueKind.Float, encoded[..MessagePackWriter.EncodeDouble(encoded, value)].ToArray());
    }

    public static DhtValue FromBoolean(bool value) => value ? True : False;

    /// <summary>An integer value, when <paramref name="value"/> lies in -2^63 .. 2^64-1 (what MessagePack can carry).</summary>
    public static bool TryFromInteger(BigInteger value, [NotNullWhen(true)] out DhtValue? result)
    {
        if (value >= long.MinValue && value <= long.MaxValue)
        {
            result = FromInt64((long)value);
            return true;
        }

        if (value > long.MaxValue && value <= ulong.MaxValue)
        {
            result = FromUInt64((ulong)value);
            return true;
        }

        result = null;
        return false;
    }

    /// <summary>Decodes exactly one MessagePack value of an accepted kind (nothing may follow it).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> messagePack, [NotNullWhen(true)] out DhtValue? value)
    {
        var reader = new MessagePackReader(messagePack);
        if (TryRead(ref reader, out value) && reader.End)
        {
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>
    /// Reads one value of an accepted kind at the reader's position, canonicalized; false (reader
    /// unmoved) for arrays, maps, nil, extensions, malformed UTF-8 or truncated bytes.
    /// </summary>
    internal static bool TryRead(ref MessagePackReader reader, [NotNullWhen(true)] out DhtValue? value)
    {
        // Read on a copy and commit only on success, so a refused value leaves the reader unmoved.
        var probe = reader;
        var source = probe.UnreadSpan;
        switch (MessagePackCode.TypeOf(source.IsEmpty ? MessagePackCode.NeverUsed : source[0]))
        {
            case MessagePackType.Integer when probe.TryReadInteger(out var integer):
                value = integer < 0 ? FromInt64((long)integer) : FromUInt64((ulong)integer);
                break;
            case MessagePackType.Float when probe.TryReadDouble(out var number):
                value = FromDouble(number);
                break;
            case MessagePackType.Boolean when probe.TryReadBoolean(out var flag):
                value = FromBoolean(flag);
                break;
            case MessagePackType.String when probe.TryReadStringSpan(out var utf8) && Utf8.IsValid(utf8):
                value = Canonical(DhtValueKind.String, source[..(probe.Position - reader.Position)], utf8);
                break;
            case MessagePackType.Binary when probe.TryReadBinary(out var bytes):
                value = Canonical(DhtValueKind.Bytes, source[..(probe.Position - reader.Position)], bytes);
                break;
            default:
                value = null;
                return false;
        }

        reader = probe;
        return true;
    }

    /// <exception cref="InvalidOperationException">The value is not a string.</exception>
    public string AsString()
    {
        var reader = Reader(DhtValueKind.String);
        reader.TryReadStringSpan(out var utf8);
        return Encoding.UTF8.GetString(utf8);
    }

    /// <summary>A copy of the bytes.</summary>
    /// <exception cref="InvalidOperationException">The value is not bytes.</exception>
    public byte[] AsBytes()
    {
        var reader = Reader(DhtValueKind.Bytes);
        reader.TryReadBinary(out var bytes);
        return bytes.ToArray();
    }

    /// <exception cref="InvalidOperationException">The value is not an integer.</exception>
    /// <exception cref="OverflowException">The integer is above <see cref="long.MaxValue"/>.</exception>
    public long AsInt64() =>
        TryGetInt64(out var value) ? value : throw new OverflowException($"{this} does not fit an Int64.");

    /// <exception cref="InvalidOperationException">The value is not an integer.</exception>
    /// <exception cref="OverflowException">The integer is negative.</exception>
    public ulong AsUInt64() =>
        TryGetUInt64(out var value) ? value : throw new OverflowException($"{this} does not fit a UInt64.");

    /// <summary>The integer when it fits an <see cref="long"/>.</summary>
    /// <exception cref="InvalidOperationException">The value is not an integer.</exception>
    public bool TryGetInt64(out long value)
    {
        var reader = Reader(DhtValueKind.Integer);
        return reader.TryReadInt64(out value);
    }

    /// <summary>The integer when it is non-negative.</summary>
    /// <exception cref="InvalidOperationException">The value is not an integer.</exception>
    public bool TryGetUInt64(out ulong value)
    {
        var reader = Reader(DhtValueKind.Integer);
        return reader.TryReadUInt64(out value);
    }

    /// <exception cref="InvalidOperationException">The value is not a float.</exception>
    public double AsDouble()
    {
        var reader = Reader(DhtValueKind.Float);
        reader.TryReadDouble(out var value);
        return value;
    }

    /// <exception cref="InvalidOperationException">The value is not a boolean.</exception>
    public bool AsBoolean()
    {
        var reader = Reader(DhtValueKind.Boolean);
        reader.TryReadBoolean(out var value);
        return value;
    }

    /// <summary>
    /// Readable, in the style of the capture comments: <c>1234567</c>, <c>3.25</c>, <c>true</c>,
    /// <c>'text'</c>, <c>bin[3]:00ff10</c>; long strings and binaries are cut after 64 characters/bytes.
    /// </summary>
    public override string ToString()
    {
        var reader = new MessagePackReader(EncodedArray);
        switch (Kind)
        {
            case DhtValueKind.Integer:
                reader.TryReadInteger(out var integer);
                return integer.ToString(CultureInfo.InvariantCulture);
            case DhtValueKind.Float:
                return AsDouble().ToString("R", CultureInfo.InvariantCulture);
            case DhtValueKind.Boolean:
                return AsBoolean() ? "true" : "false";
            case DhtValueKind.String:
                var text = AsString();
                if (text.Length <= DisplayLimit)
                {
                    return $"'{text}'";
                }

                var cut = char.IsHighSurrogate(text[DisplayLimit - 1]) ? DisplayLimit - 1 : DisplayLimit;
                return $"'{text[..cut]}…' ({Encoding.UTF8.GetByteCount(text)} bytes)";
            default:
                reader.TryReadBinary(out var bytes);
                var shown = Convert.ToHexStringLower(bytes[..Math.Min(bytes.Length, DisplayLimit)]);
                return bytes.Length <= DisplayLimit ? $"bin[{bytes.Length}]:{shown}" : $"bin[{bytes.Length}]:{shown}…";
        }
    }

    public bool Equals(DhtValue? other) => other is not null && Kind == other.Kind && EncodedArray.AsSpan().SequenceEqual(other.EncodedArray);

    public override bool Equals(object? obj) => Equals(obj as DhtValue);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(EncodedArray);
        return hash.ToHashCode();
    }

    private MessagePackReader Reader(DhtValueKind expected)
    {
        if (Kind != expected)
        {
            throw new InvalidOperationException($"The value is {Kind}, not {expected}.");
        }

        return new MessagePackReader(EncodedArray);
    }

    // A str or bin already in its smallest form is copied as is; otherwise (str8 for a short text,
    // bin32 for a short binary, as some encoders send) it gets the header Python would have used.
    private static DhtValue Canonical(DhtValueKind kind, ReadOnlySpan<byte> original, ReadOnlySpan<byte> payload)
    {
        var header = kind == DhtValueKind.String
            ? MessagePackWriter.StringHeaderSize(payload.Length)
            : MessagePackWriter.BinaryHeaderSize(payload.Length);
        if (original.Length == header + payload.Length)
        {
            return new DhtValue(kind, original.ToArray());
        }

        var encoded = new byte[header + payload.Length];
        _ = kind == DhtValueKind.String
            ? MessagePackWriter.EncodeStringHeader(encoded, payload.Length)
            : MessagePackWriter.EncodeBinaryHeader(encoded, payload.Length);
        payload.CopyTo(encoded.AsSpan(header));
        return new DhtValue(kind, encoded);
    }
}
