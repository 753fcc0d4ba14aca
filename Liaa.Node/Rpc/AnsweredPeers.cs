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
    private readonly Lock _gate = new();
    private readonly Dictionary<IPEndPoint, (NodeId Id, long Mark)> _answered = [];
    private readonly Queue<(IPEndPoint EndPoint, long Mark)> _order = new();
    private long _nextMark;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _answered.Count;
            }
        }
    }

    /// <summary>Whether <paramref name="endPoint"/>'s last answer to a ping was as <paramref name="id"/>.</summary>
    public bool HasAnsweredAs(IPEndPoint endPoint, NodeId id)
    {
        lock (_gate)
        {
            return _answered.TryGetValue(endPoint, out var entry) && entry.Id == id;
        }
    }

    /// <summary><paramref name="endPoint"/> answered a ping as <paramref name="id"/> (an answer as another id replaces the old one).</summary>
    public void Add(IPEndPoint endPoint, NodeId id)
    {
        if (capacity == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_answered.TryGetValue(endPoint, out var known) && known.Id == id)
            {
                return;
            }

            // A private copy: IPEndPoint is mutable, and a key that changes is lost in the map.
            var key = new IPEndPoint(endPoint.Address, endPoint.Port);
            var mark = _nextMark++;
            _answered[key] = (id, mark);
            _order.Enqueue((key, mark));
            while (_answered.Count > capacity)
            {
                var (oldest, oldestMark) = _order.Dequeue();
                if (_answered.TryGetValue(oldest, out var current) && current.Mark == oldestMark)
                {
                    _answered.Remove(oldest);
                }
            }

            // Re-answers leave stale queue entries behind; rebuild before they outgrow the map.
            if (_order.Count > (2 * capacity) + 16)
            {
                var live = _order.Where(e => _answered.TryGetValue(e.EndPoint, out var a) && a.Mark == e.Mark).ToArray();
                _order.Clear();
                foreach (var entry in live)
                {
                    _order.Enqueue(entry);
                }
            }
        }
    }
}
