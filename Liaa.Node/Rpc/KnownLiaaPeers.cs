using System.Net;

namespace Liaa.Node.Rpc;

/// <summary>
/// The endpoints known to be Liaa nodes (they answered in the extended form), bounded: past capacity the
/// endpoint marked longest ago is forgotten, which only costs it one plain (untraced) exchange.
/// </summary>
internal sealed class KnownLiaaPeers(int capacity)
{
    private readonly BoundedEndPointMap<bool> _peers = new(capacity);

    public int Count => _peers.Count;

    public bool Contains(IPEndPoint endPoint) => _peers.TryGetValue(endPoint, out _);

    public void Add(IPEndPoint endPoint) => _peers.Set(endPoint, true);

    public void Remove(IPEndPoint endPoint) => _peers.Remove(endPoint);
}
