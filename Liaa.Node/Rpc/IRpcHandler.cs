using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// Serves the requests an <see cref="RpcEndpoint"/> receives (the node's Kademlia logic). Called
/// concurrently, only with well-formed requests: on thread-pool threads, or (over UDP, for PING,
/// FIND_NODE, FIND_VALUE and STUN, and STORE when <see cref="RpcEndpoint.ServesStoresInline"/>) on the endpoint's
/// receive thread up to the first await, so a handler
/// must not block: anything slow belongs after an await or in the background.
/// </summary>
public interface IRpcHandler
{
    /// <summary>
    /// Answers <paramref name="request"/>. Return <see langword="null"/> to send no reply (what Python
    /// peers do when a handler fails); the response must be of the request's method. An exception is
    /// logged, counted and treated as no reply. <paramref name="cancellationToken"/> fires when the endpoint stops.
    /// </summary>
    ValueTask<RpcResponse?> HandleAsync(RpcRequest request, RpcRequestContext context, CancellationToken cancellationToken);
}
