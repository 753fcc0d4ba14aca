using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// The ids of the last N finished calls, so a response that arrives after its call ended (timed out,
/// cancelled, or already answered) is told apart from one nobody asked for. Grows with use up to its
/// capacity (<see cref="RecentSet{T}"/>).
/// </summary>
internal sealed class CompletedCallIds(int capacity) : RecentSet<MessageId>(capacity)
{
    public void Add(MessageId id) => TryAdd(id);
}
