using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Text.Unicode;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Wire;

/// <summary>
/// The encoding of <see cref="DhtValue"/>: the <c>DhtValue.From*</c> factories and
/// <c>DhtValue.TryDecode</c> (C# extension members, so callers write them on the type), which make
/// the canonical MessagePack form Python would make. The core value never parses or writes it.
/// </summary>
/// <remarks>
/// Decoding canonicalizes: an integer sent in a wider form than needed, or a float32, is held (and
/// forwarded) in the form Python would have used, as a Python node itself does after unpacking.
/// Arrays, maps, nil and extensions are refused (WIRE.md).
/// </remarks>
public static class DhtValueEncoding
{
    // Immutable, so the two booleans are shared.
    private static readonly DhtValue True = new(DhtValueKind.Boolean, [MessagePackCode.True], 1);
    private static readonly DhtValue False = new(DhtValueKind.Boolean, [MessagePackCode.False], 0);

    extension(DhtValue)
    {
        /// <exception cref="ArgumentException">The text holds a lone surrogate (it has no UTF-8 form).</exception>
        public static DhtValue FromString(string value)
        {
            ArgumentNullException.ThrowIfNull(value);
            var utf8 = MessagePackWriter.StrictUtf8;
            var byteCount = utf8.GetByteCount(value);
            var encoded = new byte[MessagePackWriter.StringHeaderSize(byteCount) + byteCount];
            var header = MessagePackWriter.EncodeStringHeader(encoded, byteCount);
            utf8.GetBytes(value, encoded.AsSpan(header));
            return new DhtValue(DhtValueKind.String, encoded, (ulong)header);
        }

        public static DhtValue FromBytes(ReadOnlySpan<byte> value)
        {
            var encoded = new byte[MessagePackWriter.BinaryHeaderSize(value.Length) + value.Length];
            var header = MessagePackWriter.EncodeBinaryHeader(encoded, value.Length);
            value.CopyTo(encoded.AsSpan(header));
            return new DhtValue(DhtValueKind.Bytes, encoded, (ulong)header);
        }

        public static DhtValue FromInt64(long value)
        {
            Span<byte> encoded = stackalloc byte[MessagePackWriter.MaxScalarSize];
            var length = MessagePackWriter.EncodeInt64(encoded, value);
            return new DhtValue(DhtValueKind.Integer, encoded[..length].ToArray(), (ulong)value, negative: value < 0);
        }

        public static DhtValue FromUInt64(ulong value)
        {
            Span<byte> encoded = stackalloc byte[MessagePackWriter.MaxScalarSize];
            var length = MessagePackWriter.EncodeUInt64(encoded, value);
            return new DhtValue(DhtValueKind.Integer, encoded[..length].ToArray(), value);
        }

        /// <summary>A float64, bits as given (NaN payload and the sign of zero are kept).</summary>
        public static DhtValue FromDouble(double value)
        {
            Span<byte> encoded = stackalloc byte[MessagePackWriter.MaxScalarSize];
            var length = MessagePackWriter.EncodeDouble(encoded, value);
            return new DhtValue(DhtValueKind.Float, encoded[..length].ToArray(), BitConverter.DoubleToUInt64Bits(value));
        }

        public static DhtValue FromBoolean(bool value) => value ? True : False;

        /// <summary>An integer value, when <paramref name="value"/> lies in -2^63 .. 2^64-1 (what MessagePack can carry).</summary>
        public static bool TryFromInteger(BigInteger value, [NotNullWhen(true)] out DhtValue? result)
        {
            if (value >= long.MinValue && value <= long.MaxValue)
            {
                result = DhtValue.FromInt64((long)value);
                return true;
            }

            if (value > long.MaxValue && value <= ulong.MaxValue)
            {
                result = DhtValue.FromUInt64((ulong)value);
                return true;
            }

            result = null;
            return false;
        }

        /// <summary>Decodes exactly one MessagePack value of an accepted kind (nothing may follow it).</summary>
        public static bool TryDecode(ReadOnlySpan<byte> messagePack, [NotNullWhen(true)] out DhtValue? value)
        {
            var reader = new MessagePackReader(messagePack);
            if (DhtValue.TryRead(ref reader, out value) && reader.End)
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
                    value = integer < 0 ? DhtValue.FromInt64((long)integer) : DhtValue.FromUInt64((ulong)integer);
                    break;
                case MessagePackType.Float when probe.TryReadDouble(out var number):
                    value = DhtValue.FromDouble(number);
                    break;
                case MessagePackType.Boolean when probe.TryReadBoolean(out var flag):
                    value = DhtValue.FromBoolean(flag);
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
            return new DhtValue(kind, original.ToArray(), (ulong)header);
        }

        var encoded = new byte[header + payload.Length];
        _ = kind == DhtValueKind.String
            ? MessagePackWriter.EncodeStringHeader(encoded, payload.Length)
            : MessagePackWriter.EncodeBinaryHeader(encoded, payload.Length);
        payload.CopyTo(encoded.AsSpan(header));
        return new DhtValue(kind, encoded, (ulong)header);
    }
}
