using System.Net;

namespace Liaa.Node.Rpc;

/// <summary>
/// One node's datagram socket, as the RPC layer sees it: send a datagram to an endpoint, receive the
/// next one with its source. Implemented over a real UDP socket (<see cref="UdpDatagramTransport"/>)
/// and over a deterministic simulated network (<c>InMemoryDatagramTransport</c>, in Liaa.Simulation).
/// </summary>
/// <remarks>
/// Delivery is best effort, as UDP: a send that returns normally may still be lost. Sends may be
/// concurrent; receives are made by one reader at a time (the RPC receive loop). Source endpoints
/// are reported in the form a caller would send to: an IPv4 peer seen through a dual-stack socket
/// is <c>127.0.0.1</c>, never <c>::ffff:127.0.0.1</c>.
/// </remarks>
public interface IDatagramTransport : IAsyncDisposable
{
    /// <summary>The endpoint the transport is bound to (with the actual port when bound to port 0).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Sends one datagram. The buffer is not kept past the returned task.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken);

    /// <summary>
    /// Waits for the next datagram and copies it into <paramref name="buffer"/> (which should hold a
    /// maximum-size datagram: a longer one is truncated, as a UDP socket does).
    /// </summary>
    ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>
    /// An endpoint in the form transports report sources in: an IPv4-mapped IPv6 endpoint (as a
    /// dual-stack socket reports IPv4 peers) mapped back to IPv4, anything else as it is.
    /// </summary>
    static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
}

/// <summary>A received datagram: how many bytes were written to the buffer, and who sent them.</summary>
public readonly record struct ReceivedDatagram(int Length, IPEndPoint Remote);
