using System.Collections.Concurrent;
using System.Net;

namespace Liaa.Node.Kademlia;

/// <summary>
/// One instance of each contact for many routing tables in one process: a table given a pool keeps the
/// pool's <see cref="Contact"/> (immutable: id, endpoint and its address) instead of a copy of its own.
/// </summary>
/// <remarks>
/// For the simulator, where every one of 100,000 nodes knows a few hundred of the others: without a pool each
/// table holds its own copy of every contact it knows (the <see cref="Contact"/>, its <see cref="IPEndPoint"/>
/// and <see cref="IPAddress"/>, 120 bytes), decoded from the FIND_NODE answer that named it. A real node has one
/// table and needs no pool. Thread-safe; one entry per endpoint, the newest id seen there replacing an older one
/// (a restarted node), so the pool holds at most one contact per endpoint ever seen.
/// </remarks>
public sealed class ContactPool
{
    private readonly ConcurrentDictionary<IPEndPoint, Contact> _byEndPoint = new();

    /// <summary>Endpoints in the pool.</summary>
    public int Count => _byEndPoint.Count;

    /// <summary>The pool's contact equal to <paramref name="contact"/>, which becomes it when the pool has none.</summary>
    public Contact Intern(Contact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var pooled = _byEndPoint.GetOrAdd(contact.EndPoint, contact);
        if (ReferenceEquals(pooled, contact) || pooled.Id == contact.Id)
        {
            return pooled;
        }

        _byEndPoint[contact.EndPoint] = contact;
        return contact;
    }
}
