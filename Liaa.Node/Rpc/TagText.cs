using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Rpc;

/// <summary>
/// The text of span tags that repeat from one RPC to the next (peer addresses, peer ids), formatted once:
/// a traced RPC would otherwise format an address and one or two 40-character ids per span.
/// </summary>
internal static class TagText
{
    // A flood of distinct ids costs a clear, not memory.
    private const int IdCapacity = 4096;

    // Keyed by the address instance: the transport and the routing table hand out the same ones again and again.
    private static readonly ConditionalWeakTable<IPAddress, string> Addresses = [];
    private static readonly ConcurrentDictionary<NodeId, string> Ids = new();

    public static string Of(IPAddress address)
    {
        if (Addresses.TryGetValue(address, out var text))
        {
            return text;
        }

        text = address.ToString();
        Addresses.AddOrUpdate(address, text);
        return text;
    }

    public static string Of(NodeId id)
    {
        if (Ids.TryGetValue(id, out var text))
        {
            return text;
        }

        if (Ids.Count >= IdCapacity)
        {
            Ids.Clear();
        }

        text = id.ToString();
        Ids[id] = text;
        return text;
    }
}
