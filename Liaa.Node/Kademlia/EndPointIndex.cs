using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Numerics;

namespace Liaa.Node.Kademlia;

/// <summary>
/// The routing table's contact at each endpoint: an open-addressed hash set of the entries themselves, keyed
/// by <see cref="ContactEntry.Contact"/>'s endpoint, so one slot (8 bytes, the table kept at most 3/4 full) per
/// contact instead of a dictionary entry (24 bytes and its bucket, with spare capacity).
/// </summary>
/// <remarks>
/// Linear probing with backward-shift deletion (no tombstones). The key is read from the entry: the table
/// removes an entry before changing its contact and adds it again after. Not thread-safe: the routing table's
/// lock guards it.
/// </remarks>
internal sealed class EndPointIndex
{
    private const int MinLength = 8;

    private ContactEntry?[] _slots = [];
    private int _shift = 64;

    public int Count { get; private set; }

    public bool TryGetValue(IPEndPoint endPoint, [NotNullWhen(true)] out ContactEntry? entry)
    {
        if (Count > 0)
        {
            var mask = _slots.Length - 1;
            for (var i = Home(endPoint); _slots[i] is { } slot; i = (i + 1) & mask)
            {
                if (slot.Contact.EndPoint.Equals(endPoint))
                {
                    entry = slot;
                    return true;
                }
            }
        }

        entry = null;
        return false;
    }

    /// <summary>Makes <paramref name="entry"/> the holder of its contact's endpoint, in place of any other.</summary>
    public void Set(ContactEntry entry)
    {
        if ((Count + 1) * 4 > _slots.Length * 3)
        {
            Resize(Math.Max(MinLength, _slots.Length * 2));
        }

        var endPoint = entry.Contact.EndPoint;
        var mask = _slots.Length - 1;
        var i = Home(endPoint);
        while (_slots[i] is { } slot)
        {
            if (slot.Contact.EndPoint.Equals(endPoint))
            {
                _slots[i] = entry;
                return;
            }

            i = (i + 1) & mask;
        }

        _slots[i] = entry;
        Count++;
    }

    /// <summary>Removes the holder of <paramref name="endPoint"/> when its id is <paramref name="id"/>.</summary>
    public bool Remove(IPEndPoint endPoint, NodeId id)
    {
        if (Count == 0)
        {
            return false;
        }

        var mask = _slots.Length - 1;
        var i = Home(endPoint);
        while (_slots[i] is { } slot)
        {
            if (slot.Contact.EndPoint.Equals(endPoint))
            {
                if (slot.Contact.Id != id)
                {
                    return false;
                }

                RemoveAt(i, mask);
                Count--;
                return true;
            }

            i = (i + 1) & mask;
        }

        return false;
    }

    private void RemoveAt(int hole, int mask)
    {
        // Backward shift: move each following entry of the cluster into the hole unless its home lies after the hole.
        _slots[hole] = null;
        for (var j = (hole + 1) & mask; _slots[j] is { } moved; j = (j + 1) & mask)
        {
            var home = Home(moved.Contact.EndPoint);
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                _slots[hole] = moved;
                _slots[j] = null;
                hole = j;
            }
        }
    }

    private void Resize(int length)
    {
        var old = _slots;
        _slots = new ContactEntry?[length];
        _shift = 64 - BitOperations.Log2((uint)length);
        var mask = length - 1;
        foreach (var entry in old)
        {
            if (entry is not null)
            {
                var i = Home(entry.Contact.EndPoint);
                while (_slots[i] is not null)
                {
                    i = (i + 1) & mask;
                }

                _slots[i] = entry;
            }
        }
    }

    // Fibonacci hashing: the top bits of hash × 2^64/φ, so endpoints that differ only in the port spread out.
    private int Home(IPEndPoint endPoint) => (int)(((ulong)(uint)endPoint.GetHashCode() * 0x9E3779B97F4A7C15UL) >> _shift);
}
