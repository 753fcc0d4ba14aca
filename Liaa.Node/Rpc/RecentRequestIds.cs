using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// The (source, message id) pairs of the last N requests, so a replayed datagram (the same id from the same
/// address and port) is dropped instead of served again. No rpcudp peer ever sends one id twice: Python
/// draws 20 random bytes per request and neither side retransmits, so only a replay or a network duplicate
/// repeats one. The window is a count, not a time: it is bounded memory, and a flood of fresh requests
/// shortens it (to the last <c>capacity</c> requests, about a few seconds at the per-source rate limits).
/// </summary>
/// <remarks>
/// Pairs are kept as 64-bit keyed digests (source address, port and id mixed with a secret seed drawn at start), not
/// as endpoint and id: 8 bytes an entry instead of ~40, so 16,384 of them stay in the CPU's cache and no endpoint is
/// kept alive (a cache miss per add and per eviction was ~5 % of an RPC round trip's CPU, BENCHMARKS.md "bench rpc").
/// A fresh request is taken for a replay with a chance of about capacity / 2^64, and a sender cannot aim a digest at
/// another's without the seed.
/// </remarks>
internal sealed class RecentRequestIds(int capacity)
{
    // From the kernel's generator, as message ids are: OpenSSL (RandomNumberGenerator) is never loaded by a node.
    private static readonly ulong Seed = SecureRandom.NextUInt64();

    private readonly RecentSet _recent = new(capacity);

    /// <summary>Records the request; false when the same source sent the same id within the window.</summary>
    public bool TryAdd(IPEndPoint source, MessageId id) => _recent.TryAdd(Fingerprint(source, id));

    private static ulong Fingerprint(IPEndPoint source, MessageId id)
    {
        Span<byte> address = stackalloc byte[16];
        address.Clear();
        _ = source.Address.TryWriteBytes(address, out _);
        var scope = source.Address.AddressFamily == AddressFamily.InterNetworkV6 ? source.Address.ScopeId : 0;
        var where = MessageId.Mix(Seed ^ BinaryPrimitives.ReadUInt64LittleEndian(address));
        where = MessageId.Mix(where ^ BinaryPrimitives.ReadUInt64LittleEndian(address[8..]));
        where = MessageId.Mix(where ^ ((ulong)(uint)source.Port << 32) ^ (ulong)scope ^ ((ulong)source.AddressFamily << 48));
        return id.Fingerprint(where);
    }
}
