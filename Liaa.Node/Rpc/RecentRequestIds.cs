using System.Net;
using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// The (source, message id) pairs of the last N requests, so a replayed datagram (the same id from the same
/// address and port) is dropped instead of served again. No rpcudp peer ever sends one id twice: Python
/// draws 20 random bytes per request and neither side retransmits, so only a replay or a network duplicate
/// repeats one. The window is a count, not a time: it is bounded memory, and a flood of fresh requests
/// shortens it (to the last <c>capacity</c> requests, about a few seconds at the per-source rate limits).
/// </summary>
internal sealed class RecentRequestIds(int capacity)
{
    private readonly RecentSet<Key> _recent = new(capacity);

    /// <summary>Records the request; false when the same source sent the same id within the window.</summary>
    public bool TryAdd(IPEndPoint source, MessageId id) =>
        // The endpoint may be the transport's shared, cached instance: keep a copy. At capacity 0 every request is new.
        capacity == 0 || _recent.TryAdd(new Key(source.Address, source.Port, id));

    private readonly record struct Key(IPAddress Address, int Port, MessageId Id);
}
