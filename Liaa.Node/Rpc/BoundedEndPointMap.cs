using System.Net;

namespace Liaa.Node.Rpc;

/// <summary>
/// A thread-safe map from endpoints to what is known of them, bounded: past capacity the endpoint set
/// longest ago is forgotten. Setting an endpoint to the value it already has changes nothing (it keeps its
/// age); setting another value makes it the newest. A capacity of 0 keeps nothing. What the node learns
/// about addresses (<see cref="KnownLiaaPeers"/>, <see cref="AnsweredPeers"/>) lives in one of these, so a
/// flood of sources costs bounded memory.
/// </summary>
internal sealed class BoundedEndPointMap<TValue>(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPEndPoint, (TValue Value, long Mark)> _entries = [];
    private readonly Queue<(IPEndPoint EndPoint, long Mark)> _order = new();
    private long _nextMark;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    public bool TryGetValue(IPEndPoint endPoint, out TValue value)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(endPoint, out var entry))
            {
                value = entry.Value;
                return true;
            }

            value = default!;
            return false;
        }
    }

    public void Set(IPEndPoint endPoint, TValue value)
    {
        if (capacity == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_entries.TryGetValue(endPoint, out var known) && EqualityComparer<TValue>.Default.Equals(known.Value, value))
            {
                return;
            }

            // A private copy: IPEndPoint is mutable, and a key that changes is lost in the map.
            var key = new IPEndPoint(endPoint.Address, endPoint.Port);
            var mark = _nextMark++;
            _entries[key] = (value, mark);
            _order.Enqueue((key, mark));
            while (_entries.Count > capacity)
            {
                var (oldest, oldestMark) = _order.Dequeue();
                if (_entries.TryGetValue(oldest, out var current) && current.Mark == oldestMark)
                {
                    _entries.Remove(oldest);
                }
            }

            // Replacements and removals leave stale queue entries behind; rebuild before they outgrow the map.
            if (_order.Count > (2 * capacity) + 16)
            {
                var live = _order.Where(e => _entries.TryGetValue(e.EndPoint, out var entry) && entry.Mark == e.Mark).ToArray();
                _order.Clear();
                foreach (var entry in live)
                {
                    _order.Enqueue(entry);
                }
            }
        }
    }

    public void Remove(IPEndPoint endPoint)
    {
        lock (_gate)
        {
            _entries.Remove(endPoint);
        }
    }
}
