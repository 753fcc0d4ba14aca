using System.Net;
using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// Where a request came from and what its datagram said beside the body. A value (no allocation per request served);
/// a handler may keep a copy as long as it likes.
/// </summary>
/// <param name="Remote">The UDP source (the address a reply goes to; Kademlia takes the contact's address from here). Shared with the transport's endpoint cache: do not mutate it.</param>
/// <param name="MessageId">The request's id, echoed by the response.</param>
/// <param name="Header">The Liaa header of an extended request; null for the plain rpcudp form.</param>
public readonly record struct RpcRequestContext(IPEndPoint Remote, MessageId MessageId, LiaaHeader? Header)
{
    /// <summary>The request datagram's size in bytes; replies are bounded by it (<see cref="RpcOptions.MaxReplyBytes"/>).</summary>
    public int RequestBytes { get; init; }

    /// <summary>Whether the requester is a Liaa node (its id carries the marker): it is answered in the extended form.</summary>
    public bool IsLiaaPeer => MessageId.IsLiaa;

    /// <summary>Whether the requester says it is a short-lived client that should not enter routing tables.</summary>
    public bool IsClientMode => (MessageId.Flags & LiaaIdFlags.ClientMode) != 0;
}
