using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// The ids of the last N finished calls, so a response that arrives after its call ended (timed out,
/// cancelled, or already answered) is told apart from one nobody asked for.
/// </summary>
internal sealed class CompletedCallIds(int capacity)
{
    private readonly Lock _gate = new();
    private readonly MessageId[] _ring = new MessageId[capacity];
    private readonly HashSet<MessageId> _set = new(capacity);
    private int _next;

    public void Add(MessageId id)
    {
        if (capacity == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_set.Count == capacity)
            {
                _set.Remove(_ring[_next]);
            }

            if (_set.Add(id))
            {
                _ring[_next] = id;
                _next = (_next + 1) % capacity;
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
