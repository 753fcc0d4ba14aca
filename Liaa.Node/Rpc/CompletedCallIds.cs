using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// The ids of the last N finished calls, so a response that arrives after its call ended (timed out,
/// cancelled, or already answered) is told apart from one nobody asked for. Grows with use up to its
/// capacity, so an idle simulated node costs nothing.
/// </summary>
internal sealed class CompletedCallIds(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Queue<MessageId> _order = new();
    private readonly HashSet<MessageId> _set = [];

    public void Add(MessageId id)
    {
        if (capacity == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (!_set.Add(id))
            {
                return;
            }

            _order.Enqueue(id);
            if (_order.Count > capacity)
            {
                _set.Remove(_order.Dequeue());
            }
        }
    }

    public bool Contains(MessageId id)
    {
        lock (_gate)
        {
            return _set.Contains(id);
        }
    }
}
