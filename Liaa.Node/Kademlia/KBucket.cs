using System.Net;

namespace Liaa.Node.Kademlia;

/// <summary>
/// One k-bucket: the contacts whose ids share the first <see cref="Depth"/> bits of <see cref="Low"/>,
/// at most k of them, least-recently seen first (Kademlia §2.2), plus a bounded replacement cache of
/// contacts seen while the bucket was full, oldest first (§4.1).
/// </summary>
/// <remarks>
/// Not thread-safe: <see cref="RoutingTable"/> owns every bucket and guards them with its lock. The
/// bucket only keeps order and bounds; the policy (when to split, evict, promote) is the table's.
/// </remarks>
internal sealed class KBucket
{
    public KBucket(NodeId low, int depth, DateTimeOffset? lastLookup)
    {
        Low = IdPrefix.Lowest(low, depth);
        Depth = depth;
        LastLookup = lastLookup;
    }

    /// <summary>The lowest id of the range (the prefix followed by zeros).</summary>
    public NodeId Low { get; }

    /// <summary>Number of leading bits every id in the range shares; the root bucket has depth 0.</summary>
    public int Depth { get; }

    /// <summary>The highest id of the range.</summary>
    public NodeId High => IdPrefix.Highest(Low, Depth);

    /// <summary>Contacts, least-recently seen at index 0, most recently seen last.</summary>
    public List<ContactEntry> Contacts { get; } = [];

    /// <summary>Replacement candidates, least-recently seen at index 0; the last is promoted first.</summary>
    public List<ReplacementEntry> Replacements { get; } = [];

    /// <summary>When a lookup last targeted an id in this range; <c>null</c> when none has yet.</summary>
    public DateTimeOffset? LastLookup { get; set; }

    public bool Covers(NodeId id) => IdPrefix.Covers(Low, Depth, id);

    public int IndexOf(NodeId id)
    {
        for (var i = 0; i < Contacts.Count; i++)
        {
            if (Contacts[i].Contact.Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    public int IndexOfReplacement(NodeId id)
    {
        for (var i = 0; i < Replacements.Count; i++)
        {
            if (Replacements[i].Contact.Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Moves the contact at <paramref name="index"/> to the tail (most recently seen).</summary>
    public void MoveToTail(int index)
    {
        var entry = Contacts[index];
        Contacts.RemoveAt(index);
        Contacts.Add(entry);
    }

    /// <summary>
    /// Records <paramref name="contact"/> as the most recently seen candidate, dropping the oldest when
    /// more than <paramref name="capacity"/> would remain. Returns the change in the cache's size.
    /// </summary>
    public int AddReplacement(Contact contact, DateTimeOffset now, int capacity)
    {
        var existing = IndexOfReplacement(contact.Id);
        if (existing >= 0)
        {
            Replacements.RemoveAt(existing);
        }

        if (capacity <= 0)
        {
            return existing >= 0 ? -1 : 0;
        }

        Replacements.Add(new ReplacementEntry(contact, now));
        var delta = existing >= 0 ? 0 : 1;
        while (Replacements.Count > capacity)
        {
            Replacements.RemoveAt(0);
            delta--;
        }

        return delta;
    }

    /// <summary>
    /// Splits this bucket into its two halves at depth + 1, each contact and candidate going to the half
    /// that covers it in the same relative order, and the last-lookup time inherited by both.
    /// </summary>
    public (KBucket Zero, KBucket One) Split()
    {
        var zero = new KBucket(Low, Depth + 1, LastLookup);
        var one = new KBucket(Low.FlipBit(Depth), Depth + 1, LastLookup);
        foreach (var entry in Contacts)
        {
            (entry.Contact.Id.GetBit(Depth) ? one : zero).Contacts.Add(entry);
        }

        foreach (var entry in Replacements)
        {
            (entry.Contact.Id.GetBit(Depth) ? one : zero).Replacements.Add(entry);
        }

        return (zero, one);
    }
}

/// <summary>A contact in a bucket with what the table knows about it.</summary>
/// <remarks>
/// Kept small, since a table holds hundreds and a simulation millions: times as UTC ticks, and the rare
/// pending endpoint in an object of its own. 48 bytes with the object header.
/// </remarks>
internal sealed class ContactEntry(Contact contact, DateTimeOffset lastSeen)
{
    private PendingEndPointSeen? _pending;

    public Contact Contact { get; set; } = contact;

    /// <summary>When the last well-formed message from the contact's endpoint arrived, in UTC ticks.</summary>
    public long LastSeenTicks { get; set; } = lastSeen.UtcTicks;

    /// <summary>When the last well-formed message from the contact's endpoint arrived.</summary>
    public DateTimeOffset LastSeen
    {
        get => new(LastSeenTicks, TimeSpan.Zero);
        set => LastSeenTicks = value.UtcTicks;
    }

    /// <summary>Consecutive failed requests since the last message from the contact.</summary>
    public int FailureCount { get; set; }

    /// <summary>A different endpoint the same id has sent from while this one was still alive.</summary>
    public IPEndPoint? PendingEndPoint => _pending?.EndPoint;

    /// <summary>When <see cref="PendingEndPoint"/> was last seen.</summary>
    public DateTimeOffset PendingSeen => _pending?.Seen ?? default;

    public void SetPending(IPEndPoint endPoint, DateTimeOffset seen) => _pending = new PendingEndPointSeen(endPoint, seen);

    public void ClearPending() => _pending = null;

    private sealed record PendingEndPointSeen(IPEndPoint EndPoint, DateTimeOffset Seen);
}

/// <summary>A replacement candidate and when it was last seen (a value in its bucket's list: no object of its own).</summary>
internal readonly record struct ReplacementEntry(Contact Contact, long LastSeenTicks)
{
    public ReplacementEntry(Contact contact, DateTimeOffset lastSeen)
        : this(contact, lastSeen.UtcTicks)
    {
    }

    public DateTimeOffset LastSeen => new(LastSeenTicks, TimeSpan.Zero);
}
