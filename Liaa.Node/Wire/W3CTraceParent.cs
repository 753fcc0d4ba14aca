using System.Buffers;
using System.Buffers.Binary;

namespace Liaa.Node.Wire;

/// <summary>
/// A W3C <c>traceparent</c> (<c>vv-{trace id: 32 hex}-{parent span id: 16 hex}-ff</c>, 55 characters) as its
/// binary fields, so the trace context of a traced RPC is written into a datagram and read out of one
/// without a string: a traced round trip formatted the 55-character text once on each side before, and
/// parsed it into two more strings on the server.
/// </summary>
/// <remarks>
/// <see cref="TryParse(ReadOnlySpan{byte}, out W3CTraceParent)"/> takes exactly the texts that
/// <c>ActivityContext.TryParse</c> accepts (version 00–fe, trace and span ids in lowercase hex and not all
/// zeros, flags in lowercase hex) written with dashes, and <see cref="Format"/> gives back the same text, so
/// the bytes on the wire and the parent a server span gets are what they were with the text. Any other text
/// stays text (<see cref="LiaaHeader.TraceParent"/>): the header format does not change.
/// </remarks>
internal readonly struct W3CTraceParent : IEquatable<W3CTraceParent>
{
    /// <summary>Characters (and UTF-8 bytes) in the text.</summary>
    public const int Length = 55;

    private const int TraceIdOffset = 3;
    private const int SpanIdOffset = 36;
    private const int FlagsOffset = 53;

    private readonly ulong _traceIdHigh;
    private readonly ulong _traceIdLow;
    private readonly ulong _spanId;

    /// <param name="version">The format version, 0 today (0xff is not a valid version).</param>
    /// <param name="traceId">16 bytes, not all zeros.</param>
    /// <param name="spanId">8 bytes, not all zeros: the span the receiver's span is a child of.</param>
    /// <param name="flags">The trace flags (bit 0: sampled).</param>
    public W3CTraceParent(byte version, ReadOnlySpan<byte> traceId, ReadOnlySpan<byte> spanId, byte flags)
    {
        Version = version;
        _traceIdHigh = BinaryPrimitives.ReadUInt64BigEndian(traceId);
        _traceIdLow = BinaryPrimitives.ReadUInt64BigEndian(traceId[8..16]);
        _spanId = BinaryPrimitives.ReadUInt64BigEndian(spanId[..8]);
        Flags = flags;
    }

    public byte Version { get; }

    public byte Flags { get; }

    public void CopyTraceId(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _traceIdHigh);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..16], _traceIdLow);
    }

    public void CopySpanId(Span<byte> destination) => BinaryPrimitives.WriteUInt64BigEndian(destination, _spanId);

    /// <summary>Reads the UTF-8 text, if it is one <c>ActivityContext.TryParse</c> accepts, written with dashes.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out W3CTraceParent value)
    {
        value = default;
        if (utf8.Length != Length || utf8[2] != '-' || utf8[35] != '-' || utf8[52] != '-'
            || utf8.ContainsAnyInRange((byte)'A', (byte)'F'))
        {
            // Not the form, or uppercase (which the text does not allow and the hex decoder would take).
            return false;
        }

        Span<byte> ids = stackalloc byte[24];
        if (!TryParseHex(utf8[..2], out var version) || version == 0xff
            || !TryParseHex(utf8.Slice(FlagsOffset, 2), out var flags)
            || !TryParseHex(utf8.Slice(TraceIdOffset, 32), ids[..16])
            || !TryParseHex(utf8.Slice(SpanIdOffset, 16), ids[16..]))
        {
            return false;
        }

        var parsed = new W3CTraceParent(version, ids[..16], ids[16..], flags);
        if ((parsed._traceIdHigh | parsed._traceIdLow) == 0 || parsed._spanId == 0)
        {
            return false;
        }

        value = parsed;
        return true;
    }

    /// <summary>The same for text: only ASCII can parse.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out W3CTraceParent value)
    {
        Span<byte> utf8 = stackalloc byte[Length];
        if (text.Length != Length || System.Text.Ascii.FromUtf16(text, utf8, out _) != OperationStatus.Done)
        {
            value = default;
            return false;
        }

        return TryParse(utf8, out value);
    }

    /// <summary>Writes the 55-byte UTF-8 text into <paramref name="destination"/>.</summary>
    public void Format(Span<byte> destination)
    {
        destination = destination[..Length];
        Span<byte> ids = stackalloc byte[24];
        CopyTraceId(ids[..16]);
        CopySpanId(ids[16..]);
        Convert.TryToHexStringLower(ids[..16], destination.Slice(TraceIdOffset, 32), out _);
        Convert.TryToHexStringLower(ids[16..], destination.Slice(SpanIdOffset, 16), out _);
        WriteFrame(destination, Version, Flags);
    }

    /// <summary>
    /// Writes the text of version 00 for ids already in lowercase hex (32 and 16 characters, as <c>ActivityTraceId</c>
    /// and <c>ActivitySpanId</c> give them), narrowing them into <paramref name="destination"/>: no decoding to bytes
    /// and back. False when an id is not of that length or not ASCII.
    /// </summary>
    public static bool TryFormat(ReadOnlySpan<char> traceIdHex, ReadOnlySpan<char> spanIdHex, byte flags, Span<byte> destination)
    {
        destination = destination[..Length];
        if (traceIdHex.Length != 32 || spanIdHex.Length != 16
            || System.Text.Ascii.FromUtf16(traceIdHex, destination.Slice(TraceIdOffset, 32), out _) != OperationStatus.Done
            || System.Text.Ascii.FromUtf16(spanIdHex, destination.Slice(SpanIdOffset, 16), out _) != OperationStatus.Done)
        {
            return false;
        }

        WriteFrame(destination, 0, flags);
        return true;
    }

    /// <summary>The text (allocates: for logs and tests, not for the wire).</summary>
    public override string ToString()
    {
        Span<byte> utf8 = stackalloc byte[Length];
        Format(utf8);
        return System.Text.Encoding.ASCII.GetString(utf8);
    }

    public bool Equals(W3CTraceParent other) =>
        _traceIdHigh == other._traceIdHigh && _traceIdLow == other._traceIdLow && _spanId == other._spanId
        && Version == other.Version && Flags == other.Flags;

    public override bool Equals(object? obj) => obj is W3CTraceParent other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_traceIdHigh, _traceIdLow, _spanId, Version, Flags);

    // Any case: the caller has ruled out uppercase.
    private static bool TryParseHex(ReadOnlySpan<byte> hex, Span<byte> bytes) =>
        Convert.FromHexString(hex, bytes, out _, out var written) == OperationStatus.Done && written == bytes.Length;

    private static bool TryParseHex(ReadOnlySpan<byte> twoDigits, out byte value)
    {
        Span<byte> one = stackalloc byte[1];
        var parsed = TryParseHex(twoDigits, one);
        value = one[0];
        return parsed;
    }

    // The version, the three dashes and the flags around the ids.
    private static void WriteFrame(Span<byte> destination, byte version, byte flags)
    {
        WriteHex(destination[..2], version);
        destination[2] = (byte)'-';
        destination[35] = (byte)'-';
        destination[52] = (byte)'-';
        WriteHex(destination.Slice(FlagsOffset, 2), flags);
    }

    private static void WriteHex(Span<byte> twoDigits, byte value)
    {
        twoDigits[0] = "0123456789abcdef"u8[value >> 4];
        twoDigits[1] = "0123456789abcdef"u8[value & 0xf];
    }
}
