namespace Liaa.Node.Wire;

/// <summary>
/// What <see cref="WireCodec.TryReadEnvelope"/> learns from a datagram before its body is decoded:
/// enough for the RPC layer to route it (request, or the pending call a response answers).
/// </summary>
/// <param name="Kind">Request or response.</param>
/// <param name="Id">The 20-byte message id.</param>
/// <param name="IsExtended">Type byte 0x02/0x03: a Liaa peer sent it, with a <see cref="LiaaHeader"/>.</param>
/// <param name="Header">The decoded Liaa header; null for the plain rpcudp form.</param>
/// <param name="BodyOffset">Where the MessagePack body starts in the datagram (21 for the plain form).</param>
public readonly record struct DatagramEnvelope(DatagramKind Kind, MessageId Id, bool IsExtended, LiaaHeader? Header, int BodyOffset)
{
    /// <summary>The extended header's <c>pt</c> (publication time, millisecond precision); the codec puts it on the decoded message.</summary>
    public DateTimeOffset? PublishedAt { get; init; }

    /// <summary>The extended header's <c>ttl</c> (cache TTL, millisecond precision); the codec puts it on a decoded store.</summary>
    public TimeSpan? CacheTtl { get; init; }

    /// <summary>The body to pass to <see cref="WireCodec.TryDecodeRequest"/>/<see cref="WireCodec.TryDecodeResponse"/>.</summary>
    public ReadOnlySpan<byte> GetBody(ReadOnlySpan<byte> datagram) => datagram[BodyOffset..];
}
