using Liaa.Node.Kademlia;

namespace Liaa.Node.Rpc;

/// <summary>Per-call settings of <see cref="RpcEndpoint.SendAsync"/>.</summary>
public sealed record RpcCallOptions
{
    /// <summary>Overrides <see cref="RpcOptions.Timeout"/> for this call.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The id the caller believes the peer has, recorded on the client span (<c>liaa.peer.id</c>).</summary>
    public NodeId? PeerId { get; init; }
}
