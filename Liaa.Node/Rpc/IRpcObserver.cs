using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// Hooks for metrics on an <see cref="RpcEndpoint"/>. Called synchronously on the RPC paths (including
/// the receive loop), so implementations must be fast, thread-safe and must not throw.
/// </summary>
public interface IRpcObserver
{
    /// <summary>A call made by this endpoint ended.</summary>
    void OnClientCompleted(RpcMethod method, RpcStatus status, TimeSpan elapsed, int responseBytes);

    /// <summary>A well-formed request was accepted for serving.</summary>
    void OnServerRequest(RpcMethod method);

    /// <summary>A datagram was dropped without effect.</summary>
    void OnDropped(DropReason reason);

    /// <summary>A reply's contact list was cut so the reply stays within its bound (<see cref="RpcOptions.MaxReplyBytes"/>).</summary>
    void OnReplyTrimmed(RpcMethod method)
    {
    }
}
