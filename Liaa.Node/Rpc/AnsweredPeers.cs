using System.Net;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Rpc;

/// <summary>
/// The endpoints that answered one of this node's pings, each with the id it answered as, bounded: past
/// capacity the endpoint recorded longest ago is forgotten (it costs one more small ping). An answer to a
/// ping proves that the address exists and talks for that id: it saw our unpredictable message id. That is
/// what a node must know before it sends an address more than a small multiple of what it sent (issue 14).
/// </summary>
internal sealed class AnsweredPeers(int capacity)
{
    private readonly BoundedEndPointMap<NodeId> _answered = new(capacity);

    public int Count => _answered.Count;

    /// <summary>Whether <paramref name="endPoint"/>'s last answer to a ping was as <paramref name="id"/>.</summary>
    public bool HasAnsweredAs(IPEndPoint endPoint, NodeId id) => _answered.TryGetValue(endPoint, out var answeredAs) && answeredAs == id;

    /// <summary><paramref name="endPoint"/> answered a ping as <paramref name="id"/> (an answer as another id replaces the old one).</summary>
    public void Add(IPEndPoint endPoint, NodeId id) => _answered.Set(endPoint, id);
}
