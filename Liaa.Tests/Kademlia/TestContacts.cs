using System.Net;
using Liaa.Node.Kademlia;

namespace Liaa.Tests.Kademlia;

/// <summary>Ids and contacts for routing tests.</summary>
internal static class TestContacts
{
    public static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>An id whose leading bits are <paramref name="bits"/> (a string of 0 and 1), the rest random.</summary>
    public static NodeId WithPrefix(string bits, Random random)
    {
        var id = NodeId.Random(random);
        for (var i = 0; i < bits.Length; i++)
        {
            if (id.GetBit(i) != (bits[i] == '1'))
            {
                id = id.FlipBit(i);
            }
        }

        return id;
    }

    /// <summary>An id whose leading bits are <paramref name="bits"/>, followed by zeros, then <paramref name="tail"/> in the last 32 bits.</summary>
    public static NodeId Exact(string bits, uint tail = 0)
    {
        var id = NodeId.Zero;
        for (var i = 0; i < bits.Length; i++)
        {
            if (bits[i] == '1')
            {
                id = id.FlipBit(i);
            }
        }

        for (var bit = 0; bit < 32; bit++)
        {
            if ((tail & (1u << bit)) != 0)
            {
                id = id.FlipBit(NodeId.BitLength - 1 - bit);
            }
        }

        return id;
    }

    /// <summary>An id equal to <paramref name="center"/> except for its lowest <paramref name="lowBits"/> bits, which are random.</summary>
    public static NodeId Near(NodeId center, int lowBits, Random random) =>
        IdPrefix.Combine(center, NodeId.BitLength - lowBits, NodeId.Random(random));

    /// <summary>A contact on 127.0.0.1 at <paramref name="port"/>.</summary>
    public static Contact At(NodeId id, int port) => new(id, new IPEndPoint(IPAddress.Loopback, port));

    /// <summary>Contacts with distinct ids and ports 10000, 10001, ...</summary>
    public static List<Contact> Many(int count, Random random, string prefix = "")
    {
        var seen = new HashSet<NodeId>();
        var contacts = new List<Contact>(count);
        while (contacts.Count < count)
        {
            var id = WithPrefix(prefix, random);
            if (seen.Add(id))
            {
                contacts.Add(At(id, 10000 + contacts.Count));
            }
        }

        return contacts;
    }
}
