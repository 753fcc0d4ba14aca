using System.Globalization;
using System.Text;

namespace Liaa.Node.Kademlia;

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
/// range, float64, bool, UTF-8 str, bin), held as its canonical encoding, which is what
/// <c>msgpack.packb(v, use_bin_type=True)</c> makes of it. Re-encoding is a copy, storage is one
/// array, and equality is byte equality (so 1 and 1.0 differ, as do 0.0 and -0.0).
/// </summary>
/// <remarks>
/// This is the core's value: it knows its kind and reads itself back, but never parses or writes an
/// encoding. Values are made only by the wire's encoder (<c>Wire/DhtValueEncoding.cs</c>: the
/// <c>DhtValue.From*</c> factories and <c>DhtValue.TryDecode</c>), which hands over the canonical
/// bytes together with what the accessors need: the scalar of a number or boolean, or where the
/// payload of a string or binary starts. Arrays, maps and nil are refused there: an array or map
/// stored into a Python node breaks every later Python <c>get</c> of that key, and nil cannot be told
/// from "absent" (WIRE.md).
/// </remarks>
public sealed class DhtValue : IEquatable<DhtValue>
{
    private const int DisplayLimit = 64;

    // Integer: the bits of the value (negative ones as Int64); Float: the bits of the double;
    // Boolean: 0 or 1; String and Bytes: the offset of the payload after its header.
    private readonly ulong _scalar;
    private readonly bool _negative;

    internal DhtValue(DhtValueKind kind, byte[] encoded, ulong scalar, bool negative = false)
    {
        Kind = kind;
        EncodedArray = encoded;
        _scalar = scalar;
        _negative = negative;
    }

    public DhtValueKind Kind { get; }

    internal byte[] EncodedArray { get; }

    /// <summary>The canonical MessagePack encoding of the value.</summary>
    public ReadOnlyMemory<byte> Encoded => EncodedArray;

    /// <exception cref="InvalidOperationException">The value is not a string.</exception>
    public string AsString() => Encoding.UTF8.GetString(Payload(DhtValueKind.String));

    /// <summary>A copy of the bytes.</summary>
    /// <exception cref="InvalidOperationException">The value is not bytes.</exception>
    public byte[] AsBytes() => Payload(DhtValueKind.Bytes).ToArray();

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
        var bits = Scalar(DhtValueKind.Integer);
        if (_negative || bits <= long.MaxValue)
        {
            value = (long)bits;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>The integer when it is non-negative.</summary>
    /// <exception cref="InvalidOperationException">The value is not an integer.</exception>
    public bool TryGetUInt64(out ulong value)
    {
        var bits = Scalar(DhtValueKind.Integer);
        value = _negative ? 0 : bits;
        return !_negative;
    }

    /// <exception cref="InvalidOperationException">The value is not a float.</exception>
    public double AsDouble() => BitConverter.UInt64BitsToDouble(Scalar(DhtValueKind.Float));

    /// <exception cref="InvalidOperationException">The value is not a boolean.</exception>
    public bool AsBoolean() => Scalar(DhtValueKind.Boolean) != 0;

    /// <summary>
    /// Readable, in the style of the capture comments: <c>1234567</c>, <c>3.25</c>, <c>true</c>,
    /// <c>'text'</c>, <c>bin[3]:00ff10</c>; long strings and binaries are cut after 64 characters/bytes.
    /// </summary>
    public override string ToString()
    {
        switch (Kind)
        {
            case DhtValueKind.Integer:
                return _negative
                    ? ((long)_scalar).ToString(CultureInfo.InvariantCulture)
                    : _scalar.ToString(CultureInfo.InvariantCulture);
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
                var bytes = Payload(DhtValueKind.Bytes);
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

    private ulong Scalar(DhtValueKind expected)
    {
        Expect(expected);
        return _scalar;
    }

    private ReadOnlySpan<byte> Payload(DhtValueKind expected)
    {
        Expect(expected);
        return EncodedArray.AsSpan((int)_scalar);
    }

    private void Expect(DhtValueKind expected)
    {
        if (Kind != expected)
        {
            throw new InvalidOperationException($"The value is {Kind}, not {expected}.");
        }
    }
}
