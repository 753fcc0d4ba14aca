using System.Net;

namespace Liaa.Node.Rpc;

/// <summary>
/// The endpoints known to be Liaa nodes (they answered in the extended form), bounded: past capacity the
/// endpoint marked longest ago is forgotten, which only costs it one plain (untraced) exchange.
/// </summary>
internal sealed class KnownLiaaPeers(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPEndPoint, long> _marks = [];
    private readonly Queue<(IPEndPoint EndPoint, long Mark)> _order = new();
    private long _nextMark;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _marks.Count;
            }
        }
    }

    public bool Contains(IPEndPoint endPoint)
    {
        lock (_gate)
        {
            return _marks.ContainsKey(endPoint);
        }
    }

    public void Add(IPEndPoint endPoint)
    {
        if (capacity == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_marks.ContainsKey(endPoint))
            {
                return;
            }

            // A private copy: IPEndPoint is mutable, and a key that changes is lost in the map.
            var key = new IPEndPoint(endPoint.Address, endPoint.Port);
            var mark = _nextMark++;
            _marks.Add(key, mark);
            _order.Enqueue((key, mark));
            while (_marks.Count > capacity)
            {
                var (oldest, oldestMark) = _order.Dequeue();
                if (_marks.TryGetValue(oldest, out var current) && current == oldestMark)
                {
                    _marks.Remove(oldest);
                }
            }

            // Removals leave stale queue entries behind; rebuild before they outgrow the map.
            if (_order.Count > (2 * capacity) + 16)
            {
                var live = _order.Where(e => _marks.TryGetValue(e.EndPoint, out var m) && m == e.Mark).ToArray();
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
            _marks.Remove(endPoint);
        }
    }
}
