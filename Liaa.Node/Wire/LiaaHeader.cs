namespace Liaa.Node.Wire;

/// <summary>
/// What travels between Liaa nodes beside the rpcudp body, in the extended datagram forms
/// (type byte 0x02 request, 0x03 response): protocol version and W3C trace context. Never sent to
/// a peer not known to be Liaa. Message-level extras (a store's publication time, a cache TTL) ride
/// on the message records and are placed in the header by <see cref="WireCodec"/>.
/// </summary>
public sealed record LiaaHeader(byte Version, string? TraceParent = null, string? TraceState = null)
{
    public static LiaaHeader Current { get; } = new(MessageId.LiaaProtocolVersion);
}
