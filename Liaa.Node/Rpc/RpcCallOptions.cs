using Liaa.Node.Kademlia;

namespace Liaa.Node.Rpc;

/// <summary>Per-call settings of <see cref="RpcEndpoint.SendAsync"/>.</summary>
public sealed record RpcCallOptions
{
    /// <summary>Overrides <see cref="RpcOptions.Timeout"/> for this call.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The id the caller believes the peer has, recorded on the client span (<c>liaa.peer.id</c>).</summary>
    public NodeId? PeerId { get; init; }

    /// <summary>
    /// Whether the caller's continuation may run on the thread that ends the call (the receive loop, for a response)
    /// instead of the thread pool: one thread wake-up less per call. Only for callers in this repository whose
    /// continuation is short and never blocks (the bench's loops): the receive loop serves nothing while it runs.
    /// </summary>
    internal bool ContinuesOnCompletingThread { get; init; }
}
