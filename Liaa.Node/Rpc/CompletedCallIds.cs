using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// The ids of the last N finished calls, so a response that arrives after its call ended (timed out,
/// cancelled, or already answered) is told apart from one nobody asked for. Grows with use up to its
/// capacity (<see cref="RecentSet"/>).
/// </summary>
/// <remarks>
/// Kept as 64-bit keyed digests (<see cref="MessageId.Fingerprint"/>), not ids: a third of the memory, so the set
/// stays in the CPU's cache at 80,000 calls a second (a cache miss per add and per eviction was ~3 % of an RPC round
/// trip's CPU, BENCHMARKS.md "bench rpc"). A response nobody asked for is taken for a late one with a chance of
/// about capacity / 2^64; either way it is dropped and counted.
/// </remarks>
internal sealed class CompletedCallIds(int capacity)
{
    // From the kernel's generator, as message ids are: OpenSSL (RandomNumberGenerator) is never loaded by a node.
    private static readonly ulong Seed = SecureRandom.NextUInt64();

    private readonly RecentSet _recent = new(capacity);

    public void Add(MessageId id) => _recent.TryAdd(id.Fingerprint(Seed));

    public bool Contains(MessageId id) => _recent.Contains(id.Fingerprint(Seed));
}
