namespace Liaa.Node.Wire;

/// <summary>
/// What travels between Liaa nodes beside the rpcudp body, in the extended datagram forms
/// (type byte 0x02 request, 0x03 response): protocol version and W3C trace context. Never sent to
/// a peer not known to be Liaa. Message-level extras (a store's publication time, a cache TTL) ride
/// on the message records and are placed in the header by <see cref="WireCodec"/>.
/// </summary>
/// <remarks>
/// A <c>traceparent</c> in the W3C form is held as its binary fields (<see cref="W3CTraceParent"/>): a traced
/// RPC writes it into the datagram and reads it back without a string. <see cref="TraceParent"/> formats it
/// on demand; any other text is kept as it came. Either way the bytes on the wire are the same.
/// </remarks>
public sealed record LiaaHeader
{
    // Exactly one of the two is set when there is a traceparent: the W3C form as fields, or other text as is.
    private readonly W3CTraceParent _w3cTraceParent;
    private readonly bool _hasW3CTraceParent;
    private readonly string? _otherTraceParent;

    public LiaaHeader(byte version, string? traceParent = null, string? traceState = null)
    {
        Version = version;
        TraceState = traceState;
        if (traceParent is not null && W3CTraceParent.TryParse(traceParent, out var w3c))
        {
            _w3cTraceParent = w3c;
            _hasW3CTraceParent = true;
        }
        else
        {
            _otherTraceParent = traceParent;
        }
    }

    internal LiaaHeader(byte version, W3CTraceParent traceParent, string? traceState)
    {
        Version = version;
        TraceState = traceState;
        _w3cTraceParent = traceParent;
        _hasW3CTraceParent = true;
    }

    public static LiaaHeader Current { get; } = new(MessageId.LiaaProtocolVersion);

    public byte Version { get; }

    /// <summary>The W3C traceparent text, or null. Formatted on each read when it came as fields: not for hot paths.</summary>
    public string? TraceParent => _hasW3CTraceParent ? _w3cTraceParent.ToString() : _otherTraceParent;

    /// <summary>The W3C tracestate, or null.</summary>
    public string? TraceState { get; }

    internal bool HasTraceParent => _hasW3CTraceParent || _otherTraceParent is not null;

    /// <summary>The traceparent as fields, when it is in the W3C form; else <see cref="TraceParent"/> is the text, if any.</summary>
    internal bool TryGetW3CTraceParent(out W3CTraceParent traceParent)
    {
        traceParent = _w3cTraceParent;
        return _hasW3CTraceParent;
    }
}
