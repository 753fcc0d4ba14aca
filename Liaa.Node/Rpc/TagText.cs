using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Rpc;

/// <summary>
/// The values of span tags that repeat from one RPC to the next, made once: peer addresses and peer ids as
/// text (a traced RPC would otherwise format an address and one or two 40-character ids per span), and
/// ports and sizes boxed (an <c>int</c> tag is an <c>object</c>: boxed anew, 24 bytes, on every span).
/// </summary>
internal static class TagText
{
    // A flood of distinct ids costs a clear, not memory.
    private const int IdCapacity = 4096;

    // Direct-mapped: slot = value mod size. Datagram sizes (up to ~1,500) and a node's few peer ports hit.
    private const int BoxSlots = 2048;

    // Keyed by the address instance: the transport and the routing table hand out the same ones again and again.
    private static readonly ConditionalWeakTable<IPAddress, string> Addresses = [];
    private static readonly ConcurrentDictionary<NodeId, string> Ids = new();
    private static readonly object?[] Boxes = new object?[BoxSlots];

    // The last one each thread asked for: a receive thread or a caller talking to one peer asks for it again
    // and again, and this check costs less than the table's.
    [ThreadStatic]
    private static IPAddress? t_address;

    [ThreadStatic]
    private static string? t_addressText;

    [ThreadStatic]
    private static NodeId t_id;

    [ThreadStatic]
    private static string? t_idText;

    public static string Of(IPAddress address)
    {
        if (ReferenceEquals(address, t_address))
        {
            return t_addressText!;
        }

        if (!Addresses.TryGetValue(address, out var text))
        {
            text = address.ToString();
            Addresses.AddOrUpdate(address, text);
        }

        t_address = address;
        t_addressText = text;
        return text;
    }

    public static string Of(NodeId id)
    {
        if (t_idText is { } last && t_id == id)
        {
            return last;
        }

        if (!Ids.TryGetValue(id, out var text))
        {
            if (Ids.Count >= IdCapacity)
            {
                Ids.Clear();
            }

            text = id.ToString();
            Ids[id] = text;
        }

        t_id = id;
        t_idText = text;
        return text;
    }

    /// <summary><paramref name="value"/> boxed, the same box as last time when its slot still holds that value.</summary>
    public static object Boxed(int value)
    {
        // Read and written by index (a ref into an object[] costs a covariance check).
        var index = value & (BoxSlots - 1);
        var box = Boxes[index];
        if (box is int held && held == value)
        {
            return box;
        }

        // A race stores one box or the other: both hold the value they were made for.
        box = value;
        Boxes[index] = box;
        return box;
    }
}
