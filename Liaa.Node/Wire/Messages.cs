using System.Net;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Wire;

/// <summary>The five RPCs of the Python <c>kademlia</c>/<c>rpcudp</c> protocol (WIRE.md).</summary>
public enum RpcMethod
{
    Ping,
    Store,
    FindNode,
    FindValue,
    Stun,
}

/// <summary>
/// A request as typed records: what <see cref="WireCodec"/> decodes a request body into, and
/// encodes from. Only well-formed requests become one of these (ids are 20-byte bin, and so on).
/// </summary>
public abstract record RpcRequest
{
    public abstract RpcMethod Method { get; }
}

/// <summary><c>ping [sender_id]</c>; answered with the responder's id.</summary>
public sealed record PingRequest(NodeId Sender) : RpcRequest
{
    public override RpcMethod Method => RpcMethod.Ping;
}

/// <summary>
/// <c>store [sender_id, key, value]</c>; answered with <c>true</c>.
/// <see cref="PublishedAt"/> and <see cref="CacheTtl"/> travel only between Liaa nodes (extended form):
/// a Python peer never sees them.
/// </summary>
public sealed record StoreRequest(NodeId Sender, NodeId Key, DhtValue Value) : RpcRequest
{
    public override RpcMethod Method => RpcMethod.Store;

    /// <summary>When the original publisher published the value; Liaa-only.</summary>
    public DateTimeOffset? PublishedAt { get; init; }

    /// <summary>Set for a §2.3 cache store along a lookup path: the shortened lifetime of the copy; Liaa-only.</summary>
    public TimeSpan? CacheTtl { get; init; }
}

/// <summary><c>find_node [sender_id, target_id]</c>; answered with up to k contacts.</summary>
public sealed record FindNodeRequest(NodeId Sender, NodeId Target) : RpcRequest
{
    public override RpcMethod Method => RpcMethod.FindNode;
}

/// <summary><c>find_value [sender_id, key]</c>; answered with the value or with contacts.</summary>
public sealed record FindValueRequest(NodeId Sender, NodeId Key) : RpcRequest
{
    public override RpcMethod Method => RpcMethod.FindValue;
}

/// <summary><c>stun []</c>; answered with the requester's address as the responder saw it.</summary>
public sealed record StunRequest : RpcRequest
{
    public override RpcMethod Method => RpcMethod.Stun;
}

/// <summary>A response body, typed. Which record a body decodes into depends on the request it answers.</summary>
public abstract record RpcResponse
{
    public abstract RpcMethod Method { get; }
}

/// <summary>The responder's id.</summary>
public sealed record PingResponse(NodeId Responder) : RpcResponse
{
    public override RpcMethod Method => RpcMethod.Ping;
}

/// <summary><c>true</c> when stored. (Python answers <c>true</c> always.)</summary>
public sealed record StoreResponse(bool Stored) : RpcResponse
{
    public override RpcMethod Method => RpcMethod.Store;
}

/// <summary><c>[[id, ip, port], …]</c>, nearest to the target first.</summary>
public sealed record FindNodeResponse(IReadOnlyList<Contact> Contacts) : RpcResponse
{
    public override RpcMethod Method => RpcMethod.FindNode;
}

/// <summary>
/// A hit (<c>{"value": value}</c>, <see cref="Value"/> set, <see cref="Contacts"/> empty) or a miss
/// (the <c>find_node</c> list, <see cref="Value"/> null).
/// </summary>
public sealed record FindValueResponse(DhtValue? Value, IReadOnlyList<Contact> Contacts) : RpcResponse
{
    public override RpcMethod Method => RpcMethod.FindValue;

    public bool IsHit => Value is not null;

    /// <summary>For a hit between Liaa nodes: when the value was originally published; Liaa-only.</summary>
    public DateTimeOffset? PublishedAt { get; init; }

    public static FindValueResponse Hit(DhtValue value, DateTimeOffset? publishedAt = null) =>
        new(value, []) { PublishedAt = publishedAt };

    public static FindValueResponse Miss(IReadOnlyList<Contact> contacts) => new(null, contacts);
}

/// <summary><c>[ip, port]</c> of the requester as the responder saw it.</summary>
public sealed record StunResponse(IPEndPoint EndPoint) : RpcResponse
{
    public override RpcMethod Method => RpcMethod.Stun;
}
