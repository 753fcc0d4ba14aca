namespace Liaa.Node.Rpc;

/// <summary>
/// The last <c>capacity</c> distinct items added, oldest forgotten first: bounded memory for "seen
/// recently" questions (completed call ids, recent request ids). Grows with use up to its capacity,
/// so an idle simulated node costs nothing; a capacity of 0 remembers nothing. Thread-safe.
/// </summary>
internal class RecentSet<T>(int capacity)
    where T : notnull
{
    private readonly Lock _gate = new();
    private readonly Queue<T> _order = new();
    private readonly HashSet<T> _set = [];

    /// <summary>Remembers <paramref name="item"/>; false when it is already remembered (or nothing is, at capacity 0).</summary>
    public bool TryAdd(T item)
    {
        if (capacity == 0)
        {
            return false;
        }

        lock (_gate)
        {
            if (!_set.Add(item))
            {
                return false;
            }

            _order.Enqueue(item);
            if (_order.Count > capacity)
            {
                _set.Remove(_order.Dequeue());
            }

            return true;
        }
    }

    public bool Contains(T item)
    {
        lock (_gate)
        {
            return _set.Contains(item);
        }
    }
}
