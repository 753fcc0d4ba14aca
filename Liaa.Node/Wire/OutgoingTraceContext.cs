namespace Liaa.Node.Wire;

/// <summary>
/// The trace context a traced request carries, as the client span holds it: its trace and span ids as their
/// lowercase hex texts. Written into the datagram's header as the W3C <c>traceparent</c> by narrowing those texts
/// (no object, no decoding of the ids to bytes and encoding them back): the same 55 bytes
/// <see cref="W3CTraceParent.Format"/> writes.
/// </summary>
internal readonly struct OutgoingTraceContext
{
    private const int TraceIdLength = 32;
    private const int SpanIdLength = 16;

    private OutgoingTraceContext(string traceId, string spanId, byte flags, string? traceState)
    {
        TraceId = traceId;
        SpanId = spanId;
        Flags = flags;
        TraceState = traceState;
    }

    /// <summary>No trace context: the header says only the protocol version.</summary>
    public bool IsEmpty => TraceId is null;

    public string? TraceId { get; }

    public string? SpanId { get; }

    public byte Flags { get; }

    public string? TraceState { get; }

    /// <summary>
    /// The context of ids in the W3C form (32 and 16 lowercase hex digits, as <c>ActivityTraceId</c> and
    /// <c>ActivitySpanId</c> give them), or empty when they are not of that length.
    /// </summary>
    public static OutgoingTraceContext Of(string traceId, string spanId, byte flags, string? traceState) =>
        traceId.Length == TraceIdLength && spanId.Length == SpanIdLength ? new(traceId, spanId, flags, traceState) : default;

    /// <summary>Writes the 55-byte <c>traceparent</c> (version 00); false when an id is not ASCII.</summary>
    public bool TryFormat(Span<byte> destination) => W3CTraceParent.TryFormat(TraceId, SpanId, Flags, destination);
}
