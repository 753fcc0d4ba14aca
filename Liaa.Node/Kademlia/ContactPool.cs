using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
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
/// <para>
/// A decoder given the pool (the RPC layer of a simulated node) finds a contact by its wire form, id, address text and
/// port (<see cref="TryGet"/>), before it parses the address: most contacts of a FIND_NODE answer are then neither
/// parsed nor allocated (they were a third of what a large simulation allocated).
/// </para>
/// </remarks>
public sealed class ContactPool
{
    private readonly ConcurrentDictionary<IPEndPoint, Contact> _byEndPoint = new();

    // By id and port, with the address text a decoder read it from: a lookup allocates nothing.
    private readonly ConcurrentDictionary<(NodeId Id, int Port), WireForm> _byWireForm = new();

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

    /// <summary>
    /// The pool's contact with id <paramref name="id"/> at port <paramref name="port"/> of the address written as
    /// <paramref name="addressText"/> (UTF-8, byte for byte as a decode of it was given to <see cref="Intern(Contact, ReadOnlySpan{byte})"/>),
    /// if there is one: the contact a decode of that text would give.
    /// </summary>
    public bool TryGet(NodeId id, ReadOnlySpan<byte> addressText, int port, [NotNullWhen(true)] out Contact? contact)
    {
        if (_byWireForm.TryGetValue((id, port), out var known) && addressText.SequenceEqual(known.AddressText))
        {
            contact = known.Contact;
            return true;
        }

        contact = null;
        return false;
    }

    /// <summary>
    /// <see cref="Intern(Contact)"/> for a contact just decoded from <paramref name="addressText"/>, its address as written
    /// on the wire: <see cref="TryGet"/> then finds it without parsing that text again.
    /// </summary>
    public Contact Intern(Contact contact, ReadOnlySpan<byte> addressText)
    {
        var pooled = Intern(contact);
        _byWireForm[(pooled.Id, pooled.EndPoint.Port)] = new WireForm(pooled, addressText.ToArray());
        return pooled;
    }

    private sealed record WireForm(Contact Contact, byte[] AddressText);
}
